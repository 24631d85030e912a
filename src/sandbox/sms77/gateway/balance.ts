import { toEuro } from '../data/prng.js'
import { GET_OR_POST, type GatewayContext, type GatewayRoute } from './context.js'
import { sendJson, sendText } from './negotiate.js'

/** JSON `{"amount":627.3615,"currency":"EUR"}`, or the legacy float as text `627.3615`. */
function balance(ctx: GatewayContext): void {
  const amount = toEuro(ctx.account.balance)
  if (ctx.json) sendJson(ctx.res, { amount, currency: 'EUR' })
  else sendText(ctx.res, amount.toFixed(4))
}

export const balanceRoutes: GatewayRoute[] = [
  { methods: GET_OR_POST, path: '/balance', scope: 'balance', handler: balance },
]
