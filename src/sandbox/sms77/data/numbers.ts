import { COUNTRIES, findCountryByNumber, type Country, type Network } from './countries.js'
import { hashString } from './prng.js'

/** What the sandbox knows about one phone number; lookups and SMS charges read it. */
export interface ParsedNumber {
  input: string
  valid: boolean
  /** Digits only, with country code (E.164 without "+"). */
  international: string
  country?: Country
  network?: Network
  /** Network the number was first issued to (differs when ported). */
  originalNetwork?: Network
  networkType: 'mobile' | 'fixed_line' | 'fixed_line_or_mobile' | 'unknown'
  nationalFormatted: string | null
  internationalFormatted: string
}

// sms77 is a German gateway: numbers written nationally ("0176…") are German.
const HOME_PREFIX = '49'

function toDigits(input: string): string | null {
  const compact = input.replace(/[\s\-()/.]/g, '')
  const plus = compact.startsWith('+') ? compact.slice(1) : compact
  if (!/^\d+$/.test(plus)) return null
  if (compact.startsWith('+')) return plus
  if (plus.startsWith('00')) return plus.slice(2)
  if (plus.startsWith('0')) return HOME_PREFIX + plus.slice(1)
  return plus
}

function networkFor(country: Country, nsn: string): Network | undefined {
  const byPrefix = country.networks
    .flatMap((n) => n.prefixes.map((p) => ({ n, p })))
    .sort((a, b) => b.p.length - a.p.length)
    .find(({ p }) => nsn.startsWith(p))
  if (byPrefix) return byPrefix.n
  // North American numbers carry no network in their digits.
  if (country.prefix === '1') return country.networks[hashString(nsn) % country.networks.length]
  return undefined
}

/** About one number in five is "ported", deterministically, so lookups show both cases. */
function portedFrom(country: Country, current: Network | undefined, digits: string): Network | undefined {
  if (!current || hashString('ported:' + digits) % 5 !== 0) return current
  const others = country.networks.filter((n) => n !== current)
  return others[hashString(digits) % Math.max(others.length, 1)] ?? current
}

function splitNsn(country: Country, nsn: string, network: Network | undefined): [string, string] {
  const prefix = network?.prefixes.find((p) => nsn.startsWith(p)) ?? nsn.slice(0, 3)
  return [prefix, nsn.slice(prefix.length)]
}

export function parseNumber(input: string): ParsedNumber {
  const digits = toDigits(input.trim())
  const country = digits ? findCountryByNumber(digits) : undefined
  if (!digits || !country || digits.length < 8 || digits.length > 15) {
    return {
      input,
      valid: false,
      international: digits ?? input,
      networkType: 'unknown',
      nationalFormatted: null,
      internationalFormatted: input,
    }
  }
  const nsn = digits.slice(country.prefix.length)
  const network = networkFor(country, nsn)
  const [head, rest] = splitNsn(country, nsn, network)
  const trunk = country.prefix === '1' ? '' : '0'
  return {
    input,
    valid: true,
    international: digits,
    country,
    network,
    originalNetwork: portedFrom(country, network, digits),
    networkType: country.prefix === '1' ? 'fixed_line_or_mobile' : network ? 'mobile' : 'fixed_line',
    nationalFormatted: `${trunk}${head} ${rest}`,
    internationalFormatted: `+${country.prefix} ${head} ${rest}`,
  }
}

/** "26203": the MCC-MNC the journal and MNP lookups report. */
export function mccmnc(country: Country | undefined, network: Network | undefined): string | null {
  if (!country || !network) return null
  return country.mcc + (network.mncs[0] ?? '')
}

/** Price of one SMS part to this number, in 1/10000 EUR. */
export function smsPartPrice(n: ParsedNumber): number {
  const fallback = COUNTRIES[0]?.networks[0]?.price ?? 0.075
  const price = n.network?.price ?? (n.country ? Math.min(...n.country.networks.map((x) => x.price)) : fallback)
  return Math.round(price * 10_000)
}
