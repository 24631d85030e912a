import type { HttpClient } from '../http.js'
import type { ClientCredentials, Grant } from '../types.js'
import { checkAnswer, send } from './errors.js'
import { basicAuth } from './oauth2.js'

/**
 * RFC 7009 revocation at `SMS77_OAUTH_URL/revoke`: the refresh token (which ends the
 * grant's access tokens too), HTTP Basic with the issuing client, a short timeout.
 * 200 means revoked or unknown (§2.2); anything else is a failure the caller only logs.
 */
export async function revokeGrant(
  http: HttpClient,
  oauthUrl: string,
  creds: ClientCredentials,
  grant: Grant,
): Promise<void> {
  const refresh = grant.secrets.refreshToken
  const form = refresh
    ? { token: refresh, token_type_hint: 'refresh_token' }
    : { token: grant.secrets.accessToken, token_type_hint: 'access_token' }
  const res = await send(http, {
    method: 'POST',
    url: `${oauthUrl}/revoke`,
    headers: { authorization: basicAuth(creds), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    timeoutMs: 3_000,
  })
  // The revocation endpoint answers errors in the token endpoint's RFC 6749 §5.2 form.
  checkAnswer('token', '/revoke', res)
}
