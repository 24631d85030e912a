import { z } from 'zod'
import { ProviderError } from '../../errors.js'
import { parseJson } from '../http.js'
import type { CallContext, Money, SmsMessage, SmsResult } from '../types.js'
import { signedRequest } from './oauth1.js'

/** Signed calls to rest.nexmo.com with the access token (PROVIDERS.md §3 Balance / Send SMS). */
function tokenOf(ctx: CallContext) {
  return { key: ctx.grant.secrets.accessToken, secret: ctx.grant.secrets.tokenSecret ?? '' }
}

function checkStatus(status: number, what: string): void {
  if (status === 401)
    throw new ProviderError(
      'nexmo',
      'token_rejected',
      'Nexmo no longer accepts this connection.',
      new Error(`${what}: HTTP 401`),
    )
  if (status >= 500)
    throw new ProviderError(
      'nexmo',
      'provider_unavailable',
      'Nexmo could not answer right now.',
      new Error(`${what}: HTTP ${status}`),
    )
  if (status !== 200)
    throw new ProviderError(
      'nexmo',
      'provider_rejected',
      'Nexmo refused the request.',
      new Error(`${what}: HTTP ${status}`),
    )
}

const BalanceResponse = z.object({
  value: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().finite()),
  autoReload: z.boolean().optional(),
})

export async function getBalance(apiUrl: string, ctx: CallContext): Promise<Money> {
  const res = await signedRequest(ctx.credentials, {
    method: 'GET',
    url: `${apiUrl}/account/get-balance`,
    token: tokenOf(ctx),
  })
  checkStatus(res.status, 'get-balance')
  const parsed = BalanceResponse.safeParse(parseJson('nexmo', res.body))
  if (!parsed.success)
    throw new ProviderError(
      'nexmo',
      'provider_bad_response',
      'Nexmo sent a balance Switchboard could not read.',
      parsed.error,
    )
  return { amount: parsed.data.value, currency: 'EUR' }
}

// SMS status codes (PROVIDERS.md §3), in words a sender can act on.
const SMS_STATUS: Record<string, string> = {
  '1': 'Nexmo is throttling messages; try again shortly.',
  '2': 'A required field is missing.',
  '3': 'The recipient or sender is not valid.',
  '4': 'Nexmo no longer accepts this connection.',
  '6': 'The message could not be sent.',
  '7': 'This number is barred.',
  '8': 'The account is barred.',
  '9': 'The account does not have enough credit.',
  '12': 'The message is too long.',
  '15': 'The sender is not allowed.',
  '29': 'This destination is not whitelisted for the account.',
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

export async function sendSms(apiUrl: string, ctx: CallContext, m: SmsMessage): Promise<SmsResult> {
  const form = { from: m.from || 'Switchboard', to: m.to.replace(/^\+/, ''), text: m.text }
  const res = await signedRequest(ctx.credentials, {
    method: 'POST',
    url: `${apiUrl}/sms/json`,
    form,
    token: tokenOf(ctx),
  })
  checkStatus(res.status, 'sms')
  const parsed = SmsResponse.safeParse(parseJson('nexmo', res.body))
  if (!parsed.success)
    throw new ProviderError(
      'nexmo',
      'provider_bad_response',
      'Nexmo answered the send request in a form Switchboard could not read.',
      parsed.error,
    )
  const first = parsed.data.messages[0]!
  if (first.status === '4') throw new ProviderError('nexmo', 'token_rejected', SMS_STATUS['4']!)
  if (first.status !== '0')
    throw new ProviderError(
      'nexmo',
      'provider_rejected',
      // Only a numeric status is named: the field is the provider's free text.
      SMS_STATUS[first.status] ??
        `Nexmo did not send the message${/^\d{1,4}$/.test(first.status) ? ` (status ${first.status})` : ''}.`,
    )
  const price = Number(first['message-price'])
  return {
    messageId: first['message-id'] ?? '',
    price: Number.isFinite(price) ? { amount: price, currency: 'EUR' } : undefined,
  }
}
