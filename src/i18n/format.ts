import type { Language } from './catalogue.js'

/** An amount of money as providers hand it over (structurally providers' `Money`). */
export interface Money {
  amount: number
  currency: string
}

/**
 * How pages write values that providers hand over as data: money, numbers and dates in the
 * reader's language and time zone, with Intl (issues 16 and 18). English read in UTC keeps
 * the forms the product always had (`627.36 EUR`, `2026-01-31 12:00:00`).
 */
export interface Formatter {
  lang: Language
  /** The time zone dates are shown in: the person's, else UTC. */
  zone: string
  /** A balance or a total: two decimals, as people read money. */
  money(m: Money): string
  /** A price per part, or a sum of them: up to four decimals where the provider gives them. */
  price(m: Money): string
  /**
   * A profile field, stats value or table cell: text as it is, money formatted (as a price if
   * asked), an instant (`{at}`, a provider's time) to the minute in the reader's zone.
   */
  value(v: string | Money | Instant, as?: 'money' | 'price'): string
  /** A provider's time: an instant to the second in the reader's zone, or its text as it came. */
  when(v: number | string | undefined): string
  number(n: number, maxDecimals?: number): string
  /** A count of things: plain digits in English (as pages always showed), grouped elsewhere. */
  count(n: number): string
  /** Date and time to the second. */
  dateTime(ms: number): string
  /** Date and time to the minute. */
  minute(ms: number): string
  date(ms: number): string
  /** A provider's day label (`2026-01-31`) in full, and short for a chart's axis; other labels as they are. */
  day(label: string): string
  shortDay(label: string): string
}

/** A moment a provider told us about, as epoch ms (providers' table cells carry it so). */
export interface Instant {
  at: number
}

const LOCALES: Record<Language, string> = { en: 'en-GB', de: 'de-DE' }

// One Intl object per shape: constructing one costs ~40 µs, formatting with it ~1 µs.
const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>()
function numberFormat(lang: Language, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `n|${lang}|${JSON.stringify(opts)}`
  let f = cache.get(key) as Intl.NumberFormat | undefined
  if (!f) cache.set(key, (f = new Intl.NumberFormat(LOCALES[lang], opts)))
  return f
}
function dateFormat(lang: Language, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `d|${lang}|${JSON.stringify(opts)}`
  let f = cache.get(key) as Intl.DateTimeFormat | undefined
  if (!f) cache.set(key, (f = new Intl.DateTimeFormat(LOCALES[lang], opts)))
  return f
}

function amount(lang: Language, m: Money, maxDecimals: number): string {
  const digits = { minimumFractionDigits: 2, maximumFractionDigits: maxDecimals }
  if (lang === 'en') return `${numberFormat(lang, digits).format(m.amount)} ${m.currency}`
  try {
    return numberFormat(lang, { style: 'currency', currency: m.currency, ...digits }).format(m.amount)
  } catch {
    // A currency Intl does not know (a provider's own code): the number, then the code.
    return `${numberFormat(lang, digits).format(m.amount)} ${m.currency}`
  }
}

// Day labels are calendar days, not instants: formatted in UTC so no zone moves them.
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/
const dayFormat = (lang: Language, label: string, opts: Intl.DateTimeFormatOptions) =>
  dateFormat(lang, { ...opts, timeZone: 'UTC' }).format(Date.parse(`${label}T00:00:00Z`))

const isUtc = (zone: string) => zone === 'UTC' || zone === 'Etc/UTC'

/** `2026-01-31 12:00:00` as the clock on the wall shows it in `zone`. */
function isoWallTime(ms: number, zone: string): string {
  if (isUtc(zone)) return new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
  const parts = Object.fromEntries(
    dateFormat('en', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  )
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`
}

/** True for a time zone this runtime knows (an IANA name such as `Europe/Berlin`). */
export function isTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone.length > 64) return false
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return true
  } catch {
    return false
  }
}

/** The zones offered on /account: UTC first, then every IANA zone this runtime knows. */
export const TIME_ZONES: readonly string[] = [
  'UTC',
  ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC'),
]

/**
 * Pure in (language, zone), and every page asks for one: each pair's is made once (its
 * closures, and the zone's check, which builds an Intl object), up to every zone this
 * runtime knows in both languages; past that an unusual zone gets its own each time.
 */
const formatters = new Map<string, Formatter>()
const MAX_FORMATTERS = 2 * (TIME_ZONES.length + 64)

export function formatterFor(lang: Language, timeZone?: string): Formatter {
  const key = `${lang}|${timeZone ?? ''}`
  let f = formatters.get(key)
  if (!f) {
    f = Object.freeze(buildFormatter(lang, timeZone))
    if (formatters.size < MAX_FORMATTERS) formatters.set(key, f)
  }
  return f
}

function buildFormatter(lang: Language, timeZone?: string): Formatter {
  const zone = timeZone && isTimeZone(timeZone) ? timeZone : 'UTC'
  // English keeps one form in every zone (`2026-01-31 12:00:00`), the chosen zone's wall time.
  const iso = lang === 'en'
  const when = (ms: number, opts: Intl.DateTimeFormatOptions, isoLength: number) =>
    iso ? isoWallTime(ms, zone).slice(0, isoLength) : dateFormat(lang, { ...opts, timeZone: zone }).format(ms)
  const f: Formatter = {
    lang,
    zone,
    money: (m) => amount(lang, m, 2),
    price: (m) => amount(lang, m, 4),
    value: (v, as = 'money') =>
      typeof v === 'string' ? v : 'at' in v ? f.minute(v.at) : as === 'price' ? f.price(v) : f.money(v),
    when: (v) => (typeof v === 'number' ? f.dateTime(v) : (v ?? '')),
    number: (n, maxDecimals = 2) => numberFormat(lang, { maximumFractionDigits: maxDecimals }).format(n),
    count: (n) => (lang === 'en' ? String(n) : f.number(n, 0)),
    dateTime: (ms) => when(ms, { dateStyle: 'medium', timeStyle: 'medium' }, 19),
    minute: (ms) => when(ms, { dateStyle: 'medium', timeStyle: 'short' }, 16),
    date: (ms) => when(ms, { dateStyle: 'medium' }, 10),
    day: (label) =>
      lang === 'en' || !ISO_DAY.test(label) ? label : dayFormat(lang, label, { dateStyle: 'medium' }),
    shortDay: (label) =>
      lang === 'en' || !ISO_DAY.test(label)
        ? label.slice(5) || label
        : dayFormat(lang, label, { day: '2-digit', month: '2-digit' }),
  }
  return f
}

const ENGLISH = formatterFor('en')

/** English forms, for code that has no reader (logs, the API, CSV exports). */
export const formatMoney = ENGLISH.money
export const formatValue = ENGLISH.value
export const formatPrice = ENGLISH.price
