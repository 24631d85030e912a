import { z } from 'zod'
import { parseInput } from '../../http/validate.js'
import type { HttpClient } from '../http.js'
import type { CallbackOutcome, Provider } from '../types.js'
import { getBalance } from './api.js'
import { sendSms } from './sms.js'
import { nexmoError } from './errors.js'
import { nexmoStatusReason } from './status-reason.js'
import { nexmoAccountLabel } from './account-label.js'
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

/**
 * Nexmo / Vonage over OAuth 1.0a three-legged with HMAC-SHA1 (seeds/nexmo-oauth1a.txt).
 * Every call goes out through `http`, built once by the app.
 */
export function nexmoProvider(urls: NexmoUrls, http: HttpClient): Provider {
  return {
    id: 'nexmo',
    label: 'Nexmo',
    protocol: 'oauth1a',
    callbackPath: '/connect/nexmo/callback',
    scopes: [],
    refreshable: false,
    async begin({ credentials, callbackUrl }) {
      const res = await signedRequest(http, credentials, {
        method: 'POST',
        url: `${urls.oauthUrl}/request_token`,
        protocol: { oauth_callback: callbackUrl },
      })
      const pair = parseTokenPair(res, 'request_token')
      if (pair.extras.oauth_callback_confirmed !== 'true') throw nexmoError({ kind: 'callback_unconfirmed' })
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
          message:
            'Access denied: Deny was pressed at Nexmo, so nothing was connected. Connect again whenever you like.',
        }
      return {
        kind: 'authorized',
        correlation: q.oauth_token!,
        params: { oauth_token: q.oauth_token!, oauth_verifier: q.oauth_verifier },
      }
    },
    async complete({ credentials, params, pendingSecret }) {
      const res = await signedRequest(http, credentials, {
        method: 'POST',
        url: `${urls.oauthUrl}/access_token`,
        token: { key: params.oauth_token!, secret: pendingSecret ?? '' },
        protocol: { oauth_verifier: params.oauth_verifier! },
      })
      const pair = parseTokenPair(res, 'access_token')
      const accountId = accountIdFor(pair)
      return {
        secrets: { accessToken: pair.token, tokenSecret: pair.secret },
        obtainedAt: Date.now(),
        scopes: [],
        accountId,
        accountLabel: nexmoAccountLabel(pair.extras, accountId),
      }
    },
    async refresh() {
      // OAuth 1.0a access tokens live until revoked: there is nothing to refresh.
      throw nexmoError({ kind: 'not_refreshable' })
    },
    async fetchProfile(ctx) {
      const balance = await getBalance(http, urls.apiUrl, ctx)
      return {
        accountId: ctx.grant.accountId,
        label: ctx.grant.accountLabel,
        balance,
        fields: [
          { label: 'Account', value: ctx.grant.accountLabel },
          { label: 'Balance', value: balance },
        ],
      }
    },
    fetchBalance: (ctx) => getBalance(http, urls.apiUrl, ctx),
    // The balance is on the account card already (fetchProfile); no second call for a panel.
    panels: () => [
      {
        id: 'sms',
        title: 'Send SMS',
        offline: true,
        load: async () => ({ kind: 'send_sms', senderHint: 'A name of up to 11 letters, or a number' }),
      },
    ],
    sendSms: (ctx, message) => sendSms(http, urls.apiUrl, ctx, message),
    statusReasonOf: nexmoStatusReason,
  }
}
