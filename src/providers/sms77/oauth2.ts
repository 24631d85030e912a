import { z } from 'zod'
import type { HttpClient } from '../http.js'
import type { ClientCredentials } from '../types.js'
import { checkAnswer, readJson, send, sms77Error } from './errors.js'

/**
 * The OAuth 2.0 client side of sms77 (seeds/sms77-oauth2.txt; RFC 6749 §4.1): one
 * function per protocol step, with every failure translated in errors.ts.
 */

/** `…/authorize?response_type=code&client_id&state&scope&redirect_uri`, scope space-separated as `%20` like the seed. */
export function authorizeUrl(
  oauthUrl: string,
  p: { clientId: string; state: string; scopes: string[]; redirectUri: string; codeChallenge?: string },
): string {
  const q = [
    ['response_type', 'code'],
    ['client_id', p.clientId],
    ['state', p.state],
    ['scope', p.scopes.join(' ')],
    ['redirect_uri', p.redirectUri],
    ...(p.codeChallenge
      ? [
          ['code_challenge', p.codeChallenge],
          ['code_challenge_method', 'S256'],
        ]
      : []),
  ]
  return `${oauthUrl}/authorize?${q.map(([k, v]) => `${k}=${encodeURIComponent(v!)}`).join('&')}`
}

export const TokenResponse = z.object({
  access_token: z.string().min(1).max(4096),
  token_type: z.string().regex(/^bearer$/i, 'token_type must be Bearer'),
  expires_in: z.coerce
    .number()
    .int()
    .positive()
    .max(10 * 365 * 86_400)
    .optional(),
  refresh_token: z.string().min(1).max(4096).optional(),
  // RFC 6749 says a space-separated string; one SDK types it as an array: accept both.
  scope: z.union([z.string(), z.array(z.string())]).optional(),
})
export type TokenResponse = z.infer<typeof TokenResponse>

/** RFC 6749 §2.3.1: client id and secret are form-encoded, then joined and base64'd. */
export function basicAuth(c: ClientCredentials): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return `Basic ${Buffer.from(`${enc(c.id)}:${enc(c.secret)}`).toString('base64')}`
}

export async function exchangeCode(
  http: HttpClient,
  oauthUrl: string,
  creds: ClientCredentials,
  code: string,
  redirectUri: string,
  codeVerifier?: string,
): Promise<TokenResponse> {
  return tokenRequest(http, oauthUrl, creds, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    ...(codeVerifier ? { code_verifier: codeVerifier } : {}),
  })
}

export async function refreshAccessToken(
  http: HttpClient,
  oauthUrl: string,
  creds: ClientCredentials,
  refreshToken: string,
): Promise<TokenResponse> {
  return tokenRequest(http, oauthUrl, creds, { grant_type: 'refresh_token', refresh_token: refreshToken })
}

async function tokenRequest(
  http: HttpClient,
  oauthUrl: string,
  creds: ClientCredentials,
  form: Record<string, string>,
): Promise<TokenResponse> {
  const res = await send(http, {
    method: 'POST',
    url: `${oauthUrl}/token`,
    headers: {
      authorization: basicAuth(creds),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(form).toString(),
    // Well below the refresh lock's 30 s lifetime, so a lock never expires under a live call.
    timeoutMs: 10_000,
  })
  checkAnswer('token', '/token', res)
  const parsed = TokenResponse.safeParse(readJson(res.body))
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    throw sms77Error({ kind: 'unreadable', what: 'token', detail: new Error(issues) })
  }
  return parsed.data
}

/** Scopes granted: the token response's, or the requested ones when it is silent (RFC 6749 §5.1). */
export function grantedScopes(token: TokenResponse, requested: string[]): string[] {
  if (token.scope === undefined) return requested
  const list = Array.isArray(token.scope) ? token.scope : token.scope.split(/[\s,]+/)
  return list.filter(Boolean)
}
