import {
  cnamResult,
  formatResult,
  hlrResult,
  LOOKUP_UNITS,
  mnpResult,
  mnpText,
  type LookupType,
} from '../data/lookup-results.js'
import { parseNumber, type ParsedNumber } from '../data/numbers.js'
import { GET_OR_POST, pathParam, type GatewayContext, type GatewayRoute } from './context.js'
import { listParam, sendCode, sendJson, sendText } from './negotiate.js'

const RESULTS: Record<LookupType, (n: ParsedNumber) => unknown> = {
  format: formatResult,
  hlr: hlrResult,
  mnp: mnpResult,
  cnam: cnamResult,
}

function isLookupType(value: string | undefined): value is LookupType {
  return value !== undefined && Object.hasOwn(LOOKUP_UNITS, value)
}

/** Charges valid numbers; false (nothing charged) when the balance does not cover them all. */
function chargeLookups(ctx: GatewayContext, type: LookupType, numbers: ParsedNumber[]): boolean {
  const units = numbers.filter((n) => n.valid).length * LOOKUP_UNITS[type]
  return ctx.accounts.charge(ctx.account, units)
}

/**
 * Legacy `/lookup?type=format|hlr|cnam|mnp&number=…` (GET or POST): one number answers an
 * object, comma-separated numbers an array. MNP answers the provider name as text unless
 * JSON is negotiated. Missing type → 304, unknown type → 400, missing number → 202.
 */
function legacyLookup(ctx: GatewayContext): void {
  const type = ctx.params.type
  if (type === undefined) return sendCode(ctx.res, 304, ctx.json)
  if (!isLookupType(type)) return sendCode(ctx.res, 400, ctx.json)
  const numbers = listParam(ctx.params.number).map(parseNumber)
  const first = numbers[0]
  if (!first) return sendCode(ctx.res, 202, ctx.json)
  if (!chargeLookups(ctx, type, numbers)) return sendCode(ctx.res, 500, ctx.json)
  if (type === 'mnp' && !ctx.json) return sendText(ctx.res, numbers.map(mnpText).join('\n'))
  const results = numbers.map(RESULTS[type])
  sendJson(ctx.res, numbers.length === 1 ? results[0] : results)
}

/** Current `GET /lookup/{type}?number=a,b`: always a JSON array, as @seven.io/client types it. */
function lookup(ctx: GatewayContext): void {
  const type = pathParam(ctx, 'type')
  if (!isLookupType(type)) {
    ctx.res.status(404).type('text/plain').send('Not Found')
    return
  }
  const numbers = listParam(ctx.params.number).map(parseNumber)
  if (numbers.length === 0) return sendCode(ctx.res, 202, ctx.json)
  if (!chargeLookups(ctx, type, numbers)) return sendCode(ctx.res, 500, ctx.json)
  sendJson(ctx.res, numbers.map(RESULTS[type]))
}

export const lookupRoutes: GatewayRoute[] = [
  { methods: GET_OR_POST, path: '/lookup', scope: 'lookup', handler: legacyLookup },
  { methods: GET_OR_POST, path: '/lookup/:type', scope: 'lookup', handler: lookup },
]
