/**
 * The handful of countries the sandbox prices and recognises. One table feeds pricing,
 * number lookups and SMS charges, so they agree with each other.
 */
export interface Network {
  name: string
  /** Short provider name the legacy MNP lookup answers with (PROVIDERS.md §2 lookup). */
  provider: string
  mncs: readonly string[]
  /** Price per SMS part, EUR. */
  price: number
  /** National mobile prefixes (after the country code) served by this network. */
  prefixes: readonly string[]
}

export interface Country {
  iso: string
  iso3: string
  name: string
  prefix: string
  mcc: string
  networks: readonly Network[]
}

const FEATURES = ['alpha', 'dlr', 'numeric', 'unicode'] as const

function net(name: string, provider: string, mncs: string, price: number, prefixes: string): Network {
  const words = (s: string) => s.split(' ').filter((w) => w !== '')
  return { name, provider, mncs: words(mncs), price, prefixes: words(prefixes) }
}

function country(
  iso: string,
  iso3: string,
  name: string,
  prefix: string,
  mcc: string,
  networks: Network[],
): Country {
  return { iso, iso3, name, prefix, mcc, networks }
}

export const COUNTRIES: readonly Country[] = [
  country('DE', 'DEU', 'Germany', '49', '262', [
    net('Telekom Deutschland GmbH', 'd1', '01 06', 0.075, '151 160 170 171 175'),
    net('Vodafone GmbH', 'd2', '02 04 09', 0.075, '152 162 172 173 174'),
    net('Telefónica Germany GmbH & Co. oHG', 'o2', '03 07 08', 0.075, '159 176 179'),
    net('E-Plus Mobilfunk', 'eplus', '05 77', 0.075, '157 163 177 178'),
  ]),
  country('AT', 'AUT', 'Austria', '43', '232', [
    net('A1 Telekom Austria', 'int', '01 11', 0.089, '664 699'),
    net('Magenta Telekom', 'int', '03 07', 0.089, '676 650'),
    net('Drei', 'int', '05 10', 0.089, '660 677'),
  ]),
  country('CH', 'CHE', 'Switzerland', '41', '228', [
    net('Swisscom', 'int', '01', 0.069, '79'),
    net('Sunrise', 'int', '02', 0.069, '76'),
    net('Salt Mobile', 'int', '03', 0.069, '78 77'),
  ]),
  country('FR', 'FRA', 'France', '33', '208', [
    net('Orange France', 'int', '01 02', 0.079, '6'),
    net('SFR', 'int', '10', 0.079, '7'),
  ]),
  country('GB', 'GBR', 'United Kingdom', '44', '234', [
    net('EE', 'int', '30 33', 0.055, '74 75'),
    net('Vodafone UK', 'int', '15', 0.055, '77 78'),
    net('O2 UK', 'int', '10', 0.055, '79 73'),
  ]),
  country('NL', 'NLD', 'Netherlands', '31', '204', [
    net('KPN Mobile', 'int', '08', 0.085, '65 62'),
    net('VodafoneZiggo', 'int', '04', 0.085, '61 64'),
    net('Odido', 'int', '16', 0.085, '68 63'),
  ]),
  country('US', 'USA', 'United States', '1', '310', [
    net('AT&T Mobility', 'int', '410', 0.0099, ''),
    net('T-Mobile USA', 'int', '260', 0.0099, ''),
  ]),
]

export const NETWORK_FEATURES: readonly string[] = FEATURES

export function findCountryByIso(iso: string): Country | undefined {
  return COUNTRIES.find((c) => c.iso === iso.toUpperCase())
}

/** Longest calling-code match on an international number (digits only). */
export function findCountryByNumber(international: string): Country | undefined {
  const sorted = [...COUNTRIES].sort((a, b) => b.prefix.length - a.prefix.length)
  return sorted.find((c) => international.startsWith(c.prefix))
}

/** Cheapest price in a country, used when the network cannot be told. */
export function countryPrice(country: Country): number {
  return Math.min(...country.networks.map((n) => n.price))
}
