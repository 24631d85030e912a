import { z } from 'zod'
import { parseInput } from '../../http/validate.js'
import type { HttpClient } from '../http.js'
import type { CallbackOutcome, ClientCredentials, Grant, Provider } from '../types.js'
import {
  authorizeUrl,
  exchangeCode,
  grantedScopes,
  refreshAccessToken,
  type TokenResponse,
} from './oauth2.js'
import { sms77Error } from './errors.js'
import { sms77StatusReason } from './status-reason.js'
import { sms77Panels, loadBalance } from './panels.js'
import { fetchMe } from './profile.js'
import { SMS77_SCOPES } from './scopes.js'
import { sendSms } from './send-sms.js'
import { sms77Tools } from './tools.js'
import { pkcePair } from './pkce.js'
import { revokeGrant } from './revoke.js'

export interface Sms77Urls {
  oauthUrl: string
  apiUrl: string
}

// Single strings only (an array is a 400), bounded so a huge value never reaches Redis.
const param = (max: number) => z.string().min(1).max(max)
const CallbackQuery = z
  .object({
    state: param(512),
    code: param(2048).optional(),
    error: param(128).optional(),
    error_description: param(1024).optional(),
    error_uri: param(2048).optional(),
    scope: param(1024).optional(),
  })
  .refine((q) => q.code || q.error, { message: 'code or error is required', path: ['code'] })

function toGrant(
  token: TokenResponse,
  requested: string[],
  account: { accountId: string; label: string },
): Grant {
  const now = Date.now()
  return {
    secrets: { accessToken: token.access_token, refreshToken: token.refresh_token },
    obtainedAt: now,
    expiresAt: token.expires_in ? now + token.expires_in * 1000 : undefined,
    scopes: grantedScopes(token, requested),
    accountId: account.accountId,
    accountLabel: account.label,
  }
}

/**
 * sms77 / seven.io over OAuth 2.0 authorization code with rotating refresh tokens
 * (seeds/sms77-oauth2.txt). Every call goes out through `http`, built once by the app.
 */
export function sms77Provider(urls: Sms77Urls, http: HttpClient): Provider {
  const gw = { http, apiUrl: urls.apiUrl }
  return {
    id: 'sms77',
    label: 'sms77',
    protocol: 'oauth2',
    callbackPath: '/oauth_redirect',
    scopes: SMS77_SCOPES,
    refreshable: true,
    async begin({ credentials, callbackUrl, state, scopes }) {
      const pkce = pkcePair()
      return {
        redirectUrl: authorizeUrl(urls.oauthUrl, {
          clientId: credentials.id,
          state,
          scopes,
          redirectUri: callbackUrl,
          codeChallenge: pkce.challenge,
        }),
        correlation: state,
        // Kept encrypted with the pending flow until the callback's code exchange.
        pendingSecret: pkce.verifier,
      }
    },
    parseCallback(query): CallbackOutcome {
      const q = parseInput(CallbackQuery, query, 'This sign-in answer from sms77 is malformed.')
      if (q.error) {
        // error_description is free text written for developers (and could echo anything): not shown.
        const code = /^[a-z_]{1,40}$/.test(q.error) ? ` (${q.error})` : ''
        const message =
          q.error === 'access_denied'
            ? 'Access denied: Deny was pressed at sms77, so nothing was connected. Your choices are kept below; connect again whenever you like.'
            : `sms77 could not give access${code}, so nothing was connected. Try connecting again.`
        return { kind: 'denied', correlation: q.state, message }
      }
      return { kind: 'authorized', correlation: q.state, params: { code: q.code! } }
    },
    async complete({ credentials, callbackUrl, params, requestedScopes, pendingSecret }) {
      const token = await exchangeCode(
        http,
        urls.oauthUrl,
        credentials,
        params.code!,
        callbackUrl,
        pendingSecret,
      )
      const me = await fetchMe(http, urls.oauthUrl, token.access_token)
      return toGrant(token, requestedScopes, me)
    },
    async refresh(credentials: ClientCredentials, grant: Grant) {
      if (!grant.secrets.refreshToken) throw sms77Error({ kind: 'no_refresh_token' })
      const token = await refreshAccessToken(http, urls.oauthUrl, credentials, grant.secrets.refreshToken)
      const scopes = token.scope === undefined ? grant.scopes : grantedScopes(token, grant.scopes)
      return { ...toGrant(token, scopes, { accountId: grant.accountId, label: grant.accountLabel }) }
    },
    revoke: (credentials, grant) => revokeGrant(http, urls.oauthUrl, credentials, grant),
    async fetchProfile(ctx) {
      const me = await fetchMe(http, urls.oauthUrl, ctx.grant.secrets.accessToken)
      // With the balance scope the Balance panel shows it: once on the card is enough (issue 16).
      if (!ctx.grant.scopes.includes('balance')) return me
      return { ...me, fields: me.fields.filter((f) => f.label !== 'Balance') }
    },
    async fetchBalance(ctx) {
      // /me carries the balance for every grant; /balance needs the balance scope.
      const me = await fetchMe(http, urls.oauthUrl, ctx.grant.secrets.accessToken)
      if (me.balance) return me.balance
      return loadBalance(gw, ctx)
    },
    panels: (grant) => sms77Panels(gw, grant.scopes),
    sendSms: (ctx, message) => sendSms(gw, ctx, message),
    tools: (grant) => sms77Tools(gw, grant),
    statusReasonOf: sms77StatusReason,
  }
}
