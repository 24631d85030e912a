import { mccmnc, type ParsedNumber } from './numbers.js'
import { hashString, pick, seededRandom } from './prng.js'

/** Per-lookup prices in 1/10000 EUR (format is free). */
export const LOOKUP_UNITS = { format: 0, hlr: 200, mnp: 50, cnam: 50 } as const
export type LookupType = keyof typeof LOOKUP_UNITS

export function formatResult(n: ParsedNumber) {
  return {
    success: n.valid,
    national: n.nationalFormatted,
    international: n.international,
    international_formatted: n.internationalFormatted,
    country_name: n.country?.name ?? null,
    country_code: n.country?.prefix ?? false,
    country_iso: n.country?.iso ?? null,
    carrier: n.network?.name ?? null,
    network_type: n.valid ? n.networkType : null,
  }
}

function carrier(n: ParsedNumber, network = n.network) {
  return {
    network_code: mccmnc(n.country, network) ?? '',
    name: network?.name ?? null,
    country: n.country?.iso ?? '',
    network_type: network ? n.networkType : null,
  }
}

/** HLR: the handset's home network state. Unreachable phones appear now and then, deterministically. */
export function hlrResult(n: ParsedNumber) {
  const ported = n.valid && n.originalNetwork !== n.network
  const reachable = n.valid && hashString('reach:' + n.international) % 7 !== 0
  return {
    status: n.valid,
    status_message: n.valid ? 'success' : 'error',
    lookup_outcome: n.valid,
    lookup_outcome_message: n.valid ? 'success' : 'error',
    international_format_number: n.international,
    international_formatted: n.internationalFormatted,
    national_format_number: n.nationalFormatted ?? '',
    country_code: n.country?.iso ?? '',
    country_code_iso3: n.country?.iso3 ?? '',
    country_name: n.country?.name ?? '',
    country_prefix: n.country?.prefix ?? '',
    current_carrier: carrier(n),
    original_carrier: carrier(n, n.originalNetwork),
    valid_number: n.valid ? 'valid' : 'not_valid',
    reachable: n.valid ? (reachable ? 'reachable' : 'absent') : 'bad_number',
    ported: n.valid ? (ported ? 'ported' : 'not_ported') : 'unknown',
    roaming: 'not_roaming',
    gsm_code: n.valid ? (reachable ? '0' : '1b') : '1',
    gsm_message: n.valid ? (reachable ? 'No error' : 'Absent subscriber') : 'Unknown subscriber',
  }
}

export function mnpResult(n: ParsedNumber) {
  return {
    success: n.valid,
    code: n.valid ? 100 : 202,
    price: n.valid ? LOOKUP_UNITS.mnp / 10_000 : 0,
    mnp: {
      country: n.country?.iso ?? '',
      number: n.international,
      national_format: n.nationalFormatted ?? '',
      international_formatted: n.internationalFormatted,
      network: n.network?.name ?? null,
      networkType: n.valid ? n.networkType : null,
      mccmnc: mccmnc(n.country, n.network) ?? '',
      isPorted: n.valid ? n.originalNetwork !== n.network : null,
    },
  }
}

/** The legacy text MNP answer: a short provider name (d1, d2, o2, eplus, int) or N/A. */
export function mnpText(n: ParsedNumber): string {
  return n.valid ? (n.network?.provider ?? 'int') : 'N/A'
}

const FIRST = ['JOHN', 'MARY', 'DAVID', 'LINDA', 'JAMES', 'SUSAN', 'ROBERT', 'KAREN']
const LAST = ['SMITH', 'JOHNSON', 'BROWN', 'GARCIA', 'MILLER', 'DAVIS', 'WILSON', 'MOORE']

/** Caller name; "success" is a string here, as the real API sends it. */
export function cnamResult(n: ParsedNumber) {
  if (!n.valid) return { success: 'false', code: '202', name: '', number: n.international }
  const rand = seededRandom('cnam:' + n.international)
  return {
    success: 'true',
    code: '100',
    name: `${pick(rand, FIRST)} ${pick(rand, LAST)}`,
    number: n.international,
  }
}
