import { z } from 'zod'
import { ProviderError } from '../../errors.js'
import { parseInput } from '../../http/validate.js'
import { formatMoney } from '../money.js'
import type { CallbackOutcome, Provider } from '../types.js'
import { getBalance, sendSms } from './api.js'
import { accountIdFor, parseTokenPair, signedRequest } from './oauth1.js'

export interface NexmoUrls {
  oauthUrl: string
  apiUrl: string
}

const param = z.string().min(1).max(512)
// Allow: oauth_token + oauth_verifier. Deny: `denied=<token>` (Twitter's convention;
// RFC 5849 defines no denial, so a callback without a verifier is treated as one too).
const CallbackQuery = z
  .object({ oauth_token: param.optional(), oauth_verifier: param.optional(), denied: param.optional() })
  .refine((q) => q.oauth_token || q.denied, { message: 'oauth_token is required', path: ['oauth_token'] })

/** Nexmo / Vonage over OAuth 1.0a three-legged with HMAC-SHA1 (seeds/nexmo-oauth1a.txt). */
export function nexmoProvider(urls: NexmoUrls): Provider {
  return {
    id: 'nexmo',
    label: 'Nexmo',
    protocol: 'oauth1a',
    callbackPath: '/connect/nexmo/callback',
    scopes: [],
    refreshable: false,
    async begin({ credentials, callbackUrl }) {
      const res = await signedRequest(credentials, {
        method: 'POST',
        url: `${urls.oauthUrl}/request_token`,
        protocol: { oauth_callback: callbackUrl },
      })
      const pair = parseTokenPair(res, 'request for a sign-in token')
      if (pair.extras.oauth_callback_confirmed !== 'true') {
        throw new ProviderError(
          'nexmo',
          'provider_bad_response',
          'Nexmo did not confirm the callback address.',
          new Error('oauth_callback_confirmed missing'),
        )
      }
      return {
        redirectUrl: `${urls.oauthUrl}/authorize?oauth_token=${encodeURIComponent(pair.token)}`,
        correlation: pair.token,
        pendingSecret: pair.secret,
      }
    },
    parseCallback(query): CallbackOutcome {
      const q = parseInput(CallbackQuery, query, 'This sign-in answer from Nexmo is malformed.')
      if (q.denied || !q.oauth_verifier)
        return {
          kind: 'denied',
          correlation: (q.denied ?? q.oauth_token)!,
          message: 'Access denied: the Nexmo account owner did not allow access.',
        }
      return {
        kind: 'authorized',
        correlation: q.oauth_token!,
        params: { oauth_token: q.oauth_token!, oauth_verifier: q.oauth_verifier },
      }
    },
    async complete({ credentials, params, pendingSecret }) {
      const res = await signedRequest(credentials, {
        method: 'POST',
        url: `${urls.oauthUrl}/access_token`,
        token: { key: params.oauth_token!, secret: pendingSecret ?? '' },
        protocol: { oauth_verifier: params.oauth_verifier! },
      })
      const pair = parseTokenPair(res, 'exchange for an access token')
      const accountId = accountIdFor(pair)
      return {
        secrets: { accessToken: pair.token, tokenSecret: pair.secret },
        obtainedAt: Date.now(),
        scopes: [],
        accountId,
        accountLabel: `Nexmo account ${accountId}`,
      }
    },
    async refresh() {
      // OAuth 1.0a access tokens live until revoked: there is nothing to refresh.
      throw new ProviderError(
        'nexmo',
        'invalid_grant',
        'Nexmo connections cannot be refreshed; reconnect instead.',
      )
    },
    async fetchProfile(ctx) {
      const balance = await getBalance(urls.apiUrl, ctx)
      return {
        accountId: ctx.grant.accountId,
        label: ctx.grant.accountLabel,
        balance,
        fields: [
          { label: 'Account', value: ctx.grant.accountId },
          { label: 'Balance', value: formatMoney(balance) },
        ],
      }
    },
    fetchBalance: (ctx) => getBalance(urls.apiUrl, ctx),
    // The balance is on the account card already (fetchProfile); no second call for a panel.
    panels: () => [
      {
        id: 'sms',
        title: 'Send SMS',
        load: async () => ({ kind: 'send_sms', senderHint: 'A name of up to 11 letters, or a number' }),
      },
    ],
    sendSms: (ctx, message) => sendSms(urls.apiUrl, ctx, message),
  }
}
