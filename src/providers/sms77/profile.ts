import { z } from 'zod'
import { ProviderError } from '../../errors.js'
import { parseJson, providerRequest } from '../http.js'
import { formatMoney } from '../money.js'
import type { AccountProfile, Money } from '../types.js'

// R1 types user_id as a number, R5 as a string; balance is a decimal string (PROVIDERS.md §1).
const MeResponse = z.object({
  user_id: z.union([z.number(), z.string().min(1)]).transform(String),
  email: z.string().max(320).optional().default(''),
  company: z.string().max(200).nullish(),
  alias: z.string().max(200).nullish(),
  balance: z.union([z.number(), z.string()]).transform(Number).pipe(z.number().finite()).nullish(),
})

/** `GET <oauth>/me` with the Bearer token: the account behind a connection. */
export async function fetchMe(oauthUrl: string, accessToken: string): Promise<AccountProfile> {
  const res = await providerRequest('sms77', {
    method: 'GET',
    url: `${oauthUrl}/me`,
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
    timeoutMs: 5_000,
  })
  if (res.status === 401)
    throw new ProviderError(
      'sms77',
      'token_rejected',
      'sms77 did not accept the access token.',
      new Error('/me HTTP 401'),
    )
  if (res.status !== 200) {
    throw new ProviderError(
      'sms77',
      res.status >= 500 ? 'provider_unavailable' : 'provider_rejected',
      'sms77 could not describe the account right now.',
      new Error(`/me HTTP ${res.status}`),
    )
  }
  const parsed = MeResponse.safeParse(parseJson('sms77', res.body))
  if (!parsed.success)
    throw new ProviderError(
      'sms77',
      'provider_bad_response',
      'sms77 described the account in a form Switchboard could not read.',
      parsed.error,
    )
  const me = parsed.data
  const balance: Money | undefined = me.balance == null ? undefined : { amount: me.balance, currency: 'EUR' }
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
      { label: 'Balance', value: balance ? formatMoney(balance) : '' },
    ],
  }
}
