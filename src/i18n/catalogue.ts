import { createInstance, type InterpolationOptions, type Resource, type TFunction } from 'i18next'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { LOCALES_DIR } from '../config/paths.js'
import { plainTemplate, type Filler } from './plain-template.js'

/** The languages every page, message and mail exists in (issue 18); English is the default. */
export const LANGUAGES = ['en', 'de'] as const
export type Language = (typeof LANGUAGES)[number]
export const DEFAULT_LANGUAGE: Language = 'en'

/** Each language's name in itself, for the switcher and the /account choice. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', de: 'Deutsch' }

export function isLanguage(v: unknown): v is Language {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v)
}

/** Every catalogue under `dir`: one JSON file per namespace (feature room) and language. */
export function loadResources(dir = LOCALES_DIR): Resource {
  const resources: Resource = {}
  for (const lang of LANGUAGES) {
    resources[lang] = {}
    for (const file of readdirSync(path.join(dir, lang)).filter((f) => f.endsWith('.json'))) {
      const text = readFileSync(path.join(dir, lang, file), 'utf8')
      resources[lang]![path.basename(file, '.json')] = JSON.parse(text) as Record<string, unknown>
    }
  }
  return resources
}

/** Keys asked for that neither catalogue has; the key test renders every view and expects none. */
export const missingKeys = new Set<string>()

const resources = loadResources()
const i18n = createInstance()
// Loaded once at start-up from the files (read synchronously, so `t` works at import time):
// no backend plugin, no request-time file access.
void i18n.init({
  resources,
  lng: DEFAULT_LANGUAGE,
  supportedLngs: [...LANGUAGES],
  fallbackLng: DEFAULT_LANGUAGE,
  ns: Object.keys(resources[DEFAULT_LANGUAGE] ?? {}),
  defaultNS: 'common',
  initImmediate: false,
  returnNull: false,
  // EJS's `<%=` escapes on output and mails escape their HTML part themselves: escaping
  // here too would show `&amp;` to people.
  interpolation: { escapeValue: false },
  saveMissing: true,
  saveMissingTo: 'current',
  missingKeyHandler: (lngs, ns, key) => void missingKeys.add(`${lngs.join(',')}:${ns}:${key}`),
})

const fixed = new Map<Language, TFunction>()

/** The `t` of one language. */
export function translator(lang: Language): TFunction {
  let t = fixed.get(lang)
  if (!t) fixed.set(lang, (t = remembering(lang, i18n.getFixedT(lang))))
  return t
}

/**
 * A page asks for hundreds of plain labels (no values to put in), and i18next resolves each
 * one anew (namespaces, fallbacks, plurals, post-processing): the catalogues never change
 * after start-up, so a plain label's text is kept per language once found. A label with
 * values (a chart's title per bar) keeps its template once found, split into its pieces
 * when its placeholders are plain (plain-template.ts), else filled by i18next's own
 * interpolator, as `t` would after resolving it. A count picks its plural form as i18next
 * does (its plural resolver's suffix), when this language has that form itself; a default
 * only matters for a key not in the catalogue. Other options that change which text is
 * meant (a count of 0, a context, an ordinal…), texts that nest others, and keys not in the
 * catalogue (still reported as missing each time) go to i18next.
 */
function remembering(lang: Language, t: TFunction): TFunction {
  const known = new Map<string, string>()
  const templates = new Map<string, { text: string; fill: Filler | null } | null>()
  const full = t as unknown as (...a: unknown[]) => unknown
  const templateOf = (key: string) => {
    let template = templates.get(key)
    if (template !== undefined) return template
    const raw = full(key, { skipInterpolation: true })
    const plain = typeof raw === 'string' && i18n.exists(key, { lng: lang }) && !raw.includes('$t(')
    templates.set(key, (template = plain ? { text: raw, fill: plainTemplate(raw) } : null))
    return template
  }
  const forms = new Map<string, string | null>()
  /** The key of the text a count picks, or null when i18next must pick it. */
  const formOf = (key: string, count: number | undefined): string | null => {
    if (count === undefined) return key
    // With 0, i18next looks for a `_zero` form first.
    if (count === 0) return null
    const form = `${key}${i18n.services.pluralResolver.getSuffix(lang, count, {})}`
    let found = forms.get(form)
    if (found !== undefined) return found
    // i18next tries every form of this language before any of the fallback's.
    found = i18n.exists(form, { lngs: [lang] }) ? form : null
    forms.set(form, found)
    return found
  }
  const remembered = (key: unknown, ...rest: unknown[]): unknown => {
    if (typeof key !== 'string') return full(key, ...rest)
    if (rest.length > 0) {
      const asked = rest.length === 1 ? fillingOnly(rest[0]) : undefined
      const form = asked && formOf(key, asked.count)
      const template = form && templateOf(form)
      if (!template) return full(key, ...rest)
      const values = asked.values
      const filled = template.fill?.(values)
      if (filled !== undefined) return filled
      // The options i18next hands its interpolator: the values, and the language.
      const options = { ...values, lng: lang } as InterpolationOptions
      return i18n.services.interpolator.interpolate(template.text, values, lang, options)
    }
    const hit = known.get(key)
    if (hit !== undefined) return hit
    const text = t(key)
    if (typeof text === 'string' && i18n.exists(key, { lng: lang })) known.set(key, text)
    return text
  }
  return remembered as unknown as TFunction
}

/** Options of i18next's `t` that choose or shape the text rather than fill it in. */
const CHOOSING =
  /^(count|context|ordinal|defaultValue.*|ns|lngs?|fallbackLng|returnObjects|returnDetails|joinArrays|postProcess|interpolation|replace|skip.*|keySeparator|nsSeparator|nest)$/

/**
 * Values to put in (strings and numbers only), with a count and a plain default, or
 * undefined when the options do more. Every option is also a value, as in i18next.
 */
function fillingOnly(
  options: unknown,
): { values: Record<string, string | number>; count?: number } | undefined {
  if (!options || typeof options !== 'object' || Array.isArray(options)) return undefined
  let count: number | undefined
  for (const [name, value] of Object.entries(options)) {
    if (name === 'count' && typeof value === 'number' && Number.isFinite(value)) count = value
    else if (name === 'defaultValue' && typeof value === 'string') continue
    else if (CHOOSING.test(name) || (typeof value !== 'string' && typeof value !== 'number')) return undefined
  }
  return { values: options as Record<string, string | number>, count }
}

/** i18next's own `t` of one language, nothing kept: what the kept texts are tested against. */
export function plainTranslator(lang: Language): TFunction {
  return i18n.getFixedT(lang)
}

const PHRASE = { ns: 'providers', keySeparator: false, nsSeparator: false } as const
const phraseBooks = new Map<Language, (phrase: string) => string>()

/**
 * Providers describe their panels in English (providers/ knows no reader); the `providers`
 * catalogue maps each phrase, keyed by itself, to the reader's language. Data from the
 * provider (names, numbers) is not in it and shows as it is. A table asks for its column
 * names once per cell, so a phrase the catalogue has is kept per language once found.
 */
export function phraseTranslator(lang: Language): (phrase: string) => string {
  let book = phraseBooks.get(lang)
  if (book) return book
  const t = translator(lang)
  const known = new Map<string, string>()
  book = (phrase) => {
    if (!phrase) return phrase
    const hit = known.get(phrase)
    if (hit !== undefined) return hit
    const text = t(phrase, { ...PHRASE, defaultValue: phrase })
    if (i18n.exists(phrase, { ...PHRASE, lng: lang })) known.set(phrase, text)
    return text
  }
  phraseBooks.set(lang, book)
  return book
}
