import { z } from 'zod'
import type { CallContext, SmsMessage, SmsResult } from '../types.js'
import { sms77Error } from './errors.js'
import { gatewayJson, type Gateway } from './gateway.js'

const SmsResponse = z.object({
  success: z.union([z.string(), z.number()]).transform(String),
  total_price: z.union([z.number(), z.string()]).optional(),
  messages: z
    .array(
      z.object({
        id: z.union([z.string(), z.number()]).nullish(),
        price: z.union([z.number(), z.string()]).optional(),
        parts: z.coerce.number().int().positive().optional().catch(undefined),
      }),
    )
    .optional(),
})

export async function sendSms(gw: Gateway, ctx: CallContext, m: SmsMessage): Promise<SmsResult> {
  const form: Record<string, string> = { to: m.to, text: m.text, json: '1' }
  if (m.from) form.from = m.from
  const data = SmsResponse.safeParse(
    await gatewayJson(gw, ctx.grant.secrets.accessToken, { method: 'POST', path: '/sms', form }),
  )
  if (!data.success) throw sms77Error({ kind: 'unreadable', what: 'send', detail: data.error })
  if (data.data.success !== '100') throw sms77Error({ kind: 'sms_refused', code: data.data.success })
  const first = data.data.messages?.[0]
  const price = Number(data.data.total_price ?? first?.price)
  return {
    messageId: String(first?.id ?? ''),
    price: Number.isFinite(price) ? { amount: price, currency: 'EUR' } : undefined,
    parts: first?.parts,
  }
}
