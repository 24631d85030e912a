import { z } from 'zod'
import { ProviderError } from '../../errors.js'
import type { CallContext, SmsMessage, SmsResult } from '../types.js'
import { gatewayJson } from './gateway.js'

// Return codes of POST /sms (PROVIDERS.md §2 "Errors"), in words a sender can act on.
const SMS_CODES: Record<string, string> = {
  '101': 'Some recipients could not be sent to.',
  '201': 'The sender is not valid (up to 11 letters or 16 digits).',
  '202': 'The recipient number is not valid.',
  '301': 'A recipient is required.',
  '305': 'A message text is required.',
  '401': 'The message text is too long.',
  '402': 'This message was already sent a moment ago.',
  '403': 'The daily limit for this number is reached.',
  '500': 'The account does not have enough credit.',
  '600': 'The carrier could not deliver the message.',
}

const SmsResponse = z.object({
  success: z.union([z.string(), z.number()]).transform(String),
  total_price: z.union([z.number(), z.string()]).optional(),
  messages: z
    .array(
      z.object({
        id: z.union([z.string(), z.number()]).nullish(),
        price: z.union([z.number(), z.string()]).optional(),
      }),
    )
    .optional(),
})

export async function sendSms(apiUrl: string, ctx: CallContext, m: SmsMessage): Promise<SmsResult> {
  const form: Record<string, string> = { to: m.to, text: m.text, json: '1' }
  if (m.from) form.from = m.from
  const data = SmsResponse.safeParse(
    await gatewayJson(apiUrl, ctx.grant.secrets.accessToken, { method: 'POST', path: '/sms', form }),
  )
  if (!data.success)
    throw new ProviderError(
      'sms77',
      'provider_bad_response',
      'sms77 answered the send request in a form Switchboard could not read.',
      data.error,
    )
  if (data.data.success !== '100') {
    throw new ProviderError(
      'sms77',
      'provider_rejected',
      // Only a numeric code is named: the field is the provider's free text.
      SMS_CODES[data.data.success] ??
        `sms77 did not send the message${/^\d{1,4}$/.test(data.data.success) ? ` (code ${data.data.success})` : ''}.`,
    )
  }
  const first = data.data.messages?.[0]
  const price = Number(data.data.total_price ?? first?.price)
  return {
    messageId: String(first?.id ?? ''),
    price: Number.isFinite(price) ? { amount: price, currency: 'EUR' } : undefined,
  }
}
