import { z } from 'zod'
import type { HttpClient } from '../http.js'
import type { CallContext, Money, SmsMessage, SmsResult } from '../types.js'
import { checkAnswer, nexmoError, readJson } from './errors.js'
import { signedRequest } from './oauth1.js'

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
  return { amount: parsed.data.value, currency: 'EUR' }
}

const SmsResponse = z.object({
  messages: z
    .array(
      z.object({
        status: z.string(),
        'message-id': z.string().optional(),
        'message-price': z.string().optional(),
        'error-text': z.string().optional(),
      }),
    )
    .min(1),
})

export async function sendSms(
  http: HttpClient,
  apiUrl: string,
  ctx: CallContext,
  m: SmsMessage,
): Promise<SmsResult> {
  const form = { from: m.from || 'Switchboard', to: m.to.replace(/^\+/, ''), text: m.text }
  const res = await signedRequest(http, ctx.credentials, {
    method: 'POST',
    url: `${apiUrl}/sms/json`,
    form,
    token: tokenOf(ctx),
  })
  checkAnswer('sms', res)
  const parsed = SmsResponse.safeParse(readJson(res.body))
  if (!parsed.success) throw nexmoError({ kind: 'unreadable', what: 'send', detail: parsed.error })
  const first = parsed.data.messages[0]!
  if (first.status !== '0') throw nexmoError({ kind: 'sms_refused', status: first.status })
  // Nexmo answers one entry per part, each priced on its own.
  const prices = parsed.data.messages.map((m) => Number(m['message-price']))
  const price = prices.reduce((sum, p) => sum + p, 0)
  return {
    messageId: first['message-id'] ?? '',
    price: Number.isFinite(price) ? { amount: price, currency: 'EUR' } : undefined,
    parts: parsed.data.messages.length,
  }
}
