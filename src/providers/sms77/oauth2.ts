import { z } from 'zod'
import { ProviderError } from '../../errors.js'
import { parseJson, providerRequest } from '../http.js'
import type { ClientCredentials } from '../types.js'

/**
 * The OAuth 2.0 client side of sms77 (seeds/sms77-oauth2.txt; RFC 6749 §4.1): one
 * function per protocol step, with every failure translated in `toTokenError`.
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

const OAuthErrorBody = z.object({ error: z.string(), error_description: z.string().optional() })

// The error codes of RFC 6749 §5.2. Only these are ever shown: `error` is the provider's
// free text, and a careless or hostile one could echo our client secret in it.
const TOKEN_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
])

/** RFC 6749 §2.3.1: client id and secret are form-encoded, then joined and base64'd. */
export function basicAuth(c: ClientCredentials): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return `Basic ${Buffer.from(`${enc(c.id)}:${enc(c.secret)}`).toString('base64')}`
}

export async function exchangeCode(
  oauthUrl: string,
  creds: ClientCredentials,
  code: string,
  redirectUri: string,
  codeVerifier?: string,
): Promise<TokenResponse> {
  return tokenRequest(oauthUrl, creds, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    ...(codeVerifier ? { code_verifier: codeVerifier } : {}),
  })
}

export async function refreshAccessToken(
  oauthUrl: string,
  creds: ClientCredentials,
  refreshToken: string,
): Promise<TokenResponse> {
  return tokenRequest(oauthUrl, creds, { grant_type: 'refresh_token', refresh_token: refreshToken })
}

async function tokenRequest(
  oauthUrl: string,
  creds: ClientCredentials,
  form: Record<string, string>,
): Promise<TokenResponse> {
  const res = await providerRequest('sms77', {
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
  if (res.status !== 200) throw toTokenError(res.status, res.body)
  const parsed = TokenResponse.safeParse(parseJson('sms77', res.body))
  if (!parsed.success) {
    throw new ProviderError(
      'sms77',
      'provider_bad_response',
      'sms77 answered the token request with something Switchboard could not use.',
      new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')),
    )
  }
  return parsed.data
}

function toTokenError(status: number, body: string): ProviderError {
  let oauth: z.infer<typeof OAuthErrorBody> | undefined
  try {
    oauth = OAuthErrorBody.safeParse(JSON.parse(body)).data
  } catch {
    oauth = undefined
  }
  const cause = new Error(
    `token endpoint HTTP ${status}${oauth ? ` ${oauth.error}: ${oauth.error_description ?? ''}` : ''}`,
  )
  if (oauth?.error === 'invalid_grant')
    return new ProviderError('sms77', 'invalid_grant', 'sms77 no longer accepts this authorization.', cause)
  if (oauth?.error === 'invalid_client')
    return new ProviderError(
      'sms77',
      'provider_rejected',
      'sms77 rejected Switchboard’s client credentials; an administrator must check them.',
      cause,
    )
  if (status >= 500 || !oauth)
    return new ProviderError(
      'sms77',
      'provider_unavailable',
      'sms77 could not issue a token right now; please try again.',
      cause,
    )
  return new ProviderError(
    'sms77',
    'provider_rejected',
    `sms77 refused the token request (${TOKEN_ERRORS.has(oauth.error) ? oauth.error : 'unrecognised error'}).`,
    cause,
  )
}

/** Scopes granted: the token response's, or the requested ones when it is silent (RFC 6749 §5.1). */
export function grantedScopes(token: TokenResponse, requested: string[]): string[] {
  if (token.scope === undefined) return requested
  const list = Array.isArray(token.scope) ? token.scope : token.scope.split(/[\s,]+/)
  return list.filter(Boolean)
}
