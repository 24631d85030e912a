import { countryPrice, findCountryByNumber, type Country, type Network } from './countries.js'
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

/**
 * The network a number is served by now. The prefix names the network it was issued to;
 * about one number in five has been ported away, deterministically, so lookups show both.
 */
function currentNetwork(country: Country, issued: Network | undefined, digits: string): Network | undefined {
  if (!issued || hashString('ported:' + digits) % 5 !== 0) return issued
  const others = country.networks.filter((n) => n !== issued)
  return others[hashString(digits) % Math.max(others.length, 1)] ?? issued
}

function splitNsn(nsn: string, network: Network | undefined): [string, string] {
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
  const issued = networkFor(country, nsn)
  const network = currentNetwork(country, issued, digits)
  const [head, rest] = splitNsn(nsn, issued)
  const trunk = country.prefix === '1' ? '' : '0'
  return {
    input,
    valid: true,
    international: digits,
    country,
    network,
    originalNetwork: issued,
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
  // Fixed lines carry no network: charge the country's cheapest. Invalid numbers cost nothing.
  const price = n.network?.price ?? (n.country ? countryPrice(n.country) : 0)
  return Math.round(price * 10_000)
}
