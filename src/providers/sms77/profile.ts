import { z } from 'zod'
import type { HttpClient } from '../http.js'
import type { AccountProfile, Money } from '../types.js'
import { checkAnswer, readJson, send, sms77Error } from './errors.js'
import { PROVIDER_CURRENCY } from '../money.js'

// R1 types user_id as a number, R5 as a string; balance is a decimal string (PROVIDERS.md §1).
const MeResponse = z.object({
  user_id: z.union([z.number(), z.string().min(1)]).transform(String),
  email: z.string().max(320).optional().default(''),
  company: z.string().max(200).nullish(),
  alias: z.string().max(200).nullish(),
  balance: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().finite()).nullish(),
})

/** `GET <oauth>/me` with the Bearer token: the account behind a connection. */
export async function fetchMe(
  http: HttpClient,
  oauthUrl: string,
  accessToken: string,
): Promise<AccountProfile> {
  const res = await send(http, {
    method: 'GET',
    url: `${oauthUrl}/me`,
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    timeoutMs: 5_000,
  })
  checkAnswer('me', '/me', res)
  const parsed = MeResponse.safeParse(readJson(res.body))
  if (!parsed.success) throw sms77Error({ kind: 'unreadable', what: 'account', detail: parsed.error })
  const me = parsed.data
  const balance: Money | undefined =
    me.balance == null ? undefined : { amount: me.balance, currency: PROVIDER_CURRENCY }
  return {
    accountId: me.user_id,
    label: me.email || me.company || `sms77 user ${me.user_id}`,
    balance,
    company: me.company || me.alias || undefined,
    fields: [
      { label: 'User ID', value: me.user_id },
      { label: 'Email', value: me.email },
      { label: 'Company', value: me.company ?? '' },
      { label: 'Alias', value: me.alias ?? '' },
      { label: 'Balance', value: balance ?? '' },
    ],
  }
}
