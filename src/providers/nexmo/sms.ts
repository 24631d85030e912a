import { z } from 'zod'
import type { HttpClient } from '../http.js'
import { splitSms } from '../sms-encoding.js'
import type { CallContext, SmsMessage, SmsResult } from '../types.js'
import { checkAnswer, nexmoError, readJson } from './errors.js'
import { signedRequest } from './oauth1.js'
import { PROVIDER_CURRENCY } from '../money.js'

/**
 * `POST /sms/json` (PROVIDERS.md §3 Send SMS). A long text comes back as one entry of
 * `messages` per part, each with its own status, price and the balance after it.
 */
const SmsResponse = z.object({
  messages: z
    .array(
      z.object({
        status: z.string(),
        'message-id': z.string().optional(),
        'message-price': z.string().optional(),
        'remaining-balance': z.string().optional(),
        'error-text': z.string().optional(),
      }),
    )
    .min(1),
})

const amount = (v: string | undefined) => (v === undefined || v === '' ? NaN : Number(v))

/** Sends a text, as `type=unicode` when GSM-7 cannot carry it (else Nexmo garbles it). */
export async function sendSms(
  http: HttpClient,
  apiUrl: string,
  ctx: CallContext,
  m: SmsMessage,
): Promise<SmsResult> {
  const { encoding } = splitSms(m.text)
  const form: Record<string, string> = {
    from: m.from || 'Switchboard',
    to: m.to.replace(/^\+/, ''),
    text: m.text,
  }
  if (encoding === 'ucs2') form.type = 'unicode'
  const res = await signedRequest(http, ctx.credentials, {
    method: 'POST',
    url: `${apiUrl}/sms/json`,
    form,
    token: { key: ctx.grant.secrets.accessToken, secret: ctx.grant.secrets.tokenSecret ?? '' },
  })
  checkAnswer('sms', res)
  const parsed = SmsResponse.safeParse(readJson(res.body))
  if (!parsed.success) throw nexmoError({ kind: 'unreadable', what: 'send', detail: parsed.error })
  const parts = parsed.data.messages
  const refused = parts.find((p) => p.status !== '0')
  if (refused) throw nexmoError({ kind: 'sms_refused', status: refused.status })
  const cost = parts.reduce((sum, p) => sum + amount(p['message-price']), 0)
  const balance = amount(parts.at(-1)!['remaining-balance'])
  return {
    messageId: parts[0]!['message-id'] ?? '',
    parts: parts.length,
    encoding,
    price: Number.isFinite(cost) ? { amount: round(cost), currency: PROVIDER_CURRENCY } : undefined,
    balance: Number.isFinite(balance) ? { amount: balance, currency: PROVIDER_CURRENCY } : undefined,
  }
}

// Sums of prices such as 0.0333 pick up binary noise; prices have at most 8 decimals.
const round = (n: number) => Math.round(n * 1e8) / 1e8
