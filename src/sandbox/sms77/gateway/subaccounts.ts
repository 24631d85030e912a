import { toEuro } from '../data/prng.js'
import type { AccountState } from '../account-store.js'
import { GET_OR_POST, pathParam, type GatewayContext, type GatewayRoute } from './context.js'
import { sendJson } from './negotiate.js'

function subaccounts(account: AccountState) {
  return account.profile.subaccounts.map((s) => ({
    id: s.id,
    username: s.username,
    company: account.profile.company,
    balance: toEuro(s.balance).toFixed(4),
    total_usage: toEuro(Math.round(s.balance * 0.37)).toFixed(4),
    auto_topup: { threshold: 0, amount: 0 },
    contact: { name: s.name, email: s.email },
  }))
}

/** Read-only: `[{id,username,company,balance,total_usage,auto_topup,contact}]`, `id` filters. */
function read(ctx: GatewayContext): void {
  const id = ctx.params.id
  sendJson(
    ctx.res,
    subaccounts(ctx.account).filter((s) => id === undefined || String(s.id) === id),
  )
}

// Changing subaccounts is outside what the sandbox emulates; say so in the documented shape.
function unsupported(ctx: GatewayContext): void {
  sendJson(ctx.res, { success: false, error: 'Not available in the sms77 sandbox' })
}

/**
 * Legacy `/subaccounts?action=read[&id]` and current `GET /subaccounts/read` (R1) or
 * `/subaccounts/list`. create, delete, transfer_credits and update answer success:false.
 */
export const subaccountsRoutes: GatewayRoute[] = [
  {
    methods: GET_OR_POST,
    path: '/subaccounts',
    scope: 'subaccounts',
    handler: (ctx) => ((ctx.params.action ?? 'read') === 'read' ? read(ctx) : unsupported(ctx)),
  },
  {
    methods: GET_OR_POST,
    path: '/subaccounts/:action',
    scope: 'subaccounts',
    handler: (ctx) =>
      ['read', 'list'].includes(pathParam(ctx, 'action') ?? '') ? read(ctx) : unsupported(ctx),
  },
]
