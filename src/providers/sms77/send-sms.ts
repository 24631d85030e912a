import { z } from 'zod'
import { parseBalance, PROVIDER_CURRENCY } from '../money.js'
import type { CallContext, SmsMessage, SmsResult } from '../types.js'
import { sms77Error } from './errors.js'
import { gatewayJson, type Gateway } from './gateway.js'

const num = z.union([z.number(), z.string()])

/** `POST /sms` with `json=1` (PROVIDERS.md §2 sms): the total price, and each recipient's parts. */
const SmsResponse = z.object({
  success: z.union([z.string(), z.number()]).transform(String),
  total_price: num.nullish(),
  balance: num.nullish(),
  messages: z
    .array(
      z.object({
        id: z.union([z.string(), z.number()]).nullish(),
        price: num.nullish(),
        parts: num.nullish(),
        encoding: z.string().nullish(),
        success: z.boolean().nullish(),
        error: z.union([z.string(), z.number()]).nullish(),
      }),
    )
    .optional(),
})

export async function sendSms(gw: Gateway, ctx: CallContext, m: SmsMessage): Promise<SmsResult> {
  const form: Record<string, string> = { to: m.to, text: m.text, json: '1' }
  if (m.from) form.from = m.from
  const answer = await gatewayJson(gw, ctx.grant.secrets.accessToken, { method: 'POST', path: '/sms', form })
  // A refusal of the whole request is its return code alone (`"202"`, `202`), not an object.
  const code = returnCode(answer)
  if (code) throw sms77Error({ kind: 'sms_refused', code })
  const data = SmsResponse.safeParse(answer)
  if (!data.success) throw sms77Error({ kind: 'unreadable', what: 'send', detail: data.error })
  if (data.data.success !== '100') throw sms77Error({ kind: 'sms_refused', code: data.data.success })
  const messages = data.data.messages ?? []
  const failed = messages.find((x) => x.success === false)
  if (failed) throw sms77Error({ kind: 'sms_refused', code: String(failed.error ?? '202') })
  const first = messages[0]
  const sum = messages.reduce((n, x) => n + Number(x.price ?? NaN), 0)
  const price = Number(data.data.total_price ?? sum)
  const parts = messages.reduce((n, x) => n + Number(x.parts ?? NaN), 0)
  const encoding = first?.encoding === 'ucs2' || first?.encoding === 'gsm' ? first.encoding : undefined
  return {
    messageId: String(first?.id ?? ''),
    price: Number.isFinite(price) ? { amount: price, currency: PROVIDER_CURRENCY } : undefined,
    parts: Number.isInteger(parts) && parts > 0 ? parts : undefined,
    encoding,
    balance: parseBalance(data.data.balance ?? undefined),
  }
}

function returnCode(answer: unknown): string | undefined {
  const code = typeof answer === 'number' || typeof answer === 'string' ? String(answer) : ''
  return /^\d{3}$/.test(code) && code !== '100' ? code : undefined
}
