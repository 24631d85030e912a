import { COUNTRIES, NETWORK_FEATURES, type Country } from '../data/countries.js'
import { GET_OR_POST, type GatewayContext, type GatewayRoute } from './context.js'
import { sendJson } from './negotiate.js'

function countryPricing(c: Country) {
  return {
    countryCode: c.iso,
    countryName: c.name,
    countryPrefix: c.prefix,
    networks: c.networks.map((n) => ({
      mcc: c.mcc,
      mncs: [...n.mncs],
      networkName: n.name,
      price: n.price,
      features: [...NETWORK_FEATURES],
      comment: '',
    })),
  }
}

const CSV_HEADER = [
  'countryCode',
  'countryName',
  'countryPrefix',
  'mcc',
  'mncs',
  'networkName',
  'price',
  'features',
  'comment',
]

/** The CSV sms77-client's `TextTransformer.pricing` parses: quoted, `;`-separated, one header. */
function toCsv(countries: readonly Country[]): string {
  const quote = (cells: readonly (string | number)[]) => cells.map((c) => `"${c}"`).join(';')
  const rows = countries.flatMap((c) =>
    c.networks.map((n) =>
      quote([
        c.iso,
        c.name,
        c.prefix,
        c.mcc,
        n.mncs.join(','),
        n.name,
        n.price,
        NETWORK_FEATURES.join(','),
        '',
      ]),
    ),
  )
  return [quote(CSV_HEADER), ...rows].join('\n') + '\n'
}

/** `?country=<ISO alpha-2>` narrows to one country; `format=csv` answers CSV, anything else JSON. */
function pricing(ctx: GatewayContext): void {
  const wanted = ctx.params.country?.toUpperCase()
  const countries = wanted ? COUNTRIES.filter((c) => c.iso === wanted) : COUNTRIES
  if (ctx.params.format === 'csv') {
    ctx.res.status(200).type('text/csv').send(toCsv(countries))
    return
  }
  sendJson(ctx.res, {
    countCountries: countries.length,
    countNetworks: countries.reduce((n, c) => n + c.networks.length, 0),
    countries: countries.map(countryPricing),
  })
}

export const pricingRoutes: GatewayRoute[] = [
  { methods: GET_OR_POST, path: '/pricing', scope: 'pricing', handler: pricing },
]
