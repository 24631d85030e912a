import { z } from 'zod'
import type { HttpClient } from '../http.js'
import type { CallContext, Money } from '../types.js'
import { checkAnswer, nexmoError, readJson } from './errors.js'
import { signedRequest } from './oauth1.js'
import { PROVIDER_CURRENCY } from '../money.js'

/** Signed calls to rest.nexmo.com with the access token (PROVIDERS.md §3 Balance / Send SMS). */
function tokenOf(ctx: CallContext) {
  return { key: ctx.grant.secrets.accessToken, secret: ctx.grant.secrets.tokenSecret ?? '' }
}

const BalanceResponse = z.object({
  value: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().finite()),
  autoReload: z.boolean().optional(),
})

export async function getBalance(http: HttpClient, apiUrl: string, ctx: CallContext): Promise<Money> {
  const res = await signedRequest(http, ctx.credentials, {
    method: 'GET',
    url: `${apiUrl}/account/get-balance`,
    token: tokenOf(ctx),
  })
  checkAnswer('get-balance', res)
  const parsed = BalanceResponse.safeParse(readJson(res.body))
  if (!parsed.success) throw nexmoError({ kind: 'unreadable', what: 'balance', detail: parsed.error })
  return { amount: parsed.data.value, currency: PROVIDER_CURRENCY }
}
