import { ProviderError } from '../../errors.js'
import { providerRequest } from '../http.js'
import type { ClientCredentials, Grant } from '../types.js'
import { basicAuth } from './oauth2.js'

/**
 * RFC 7009 revocation at `SMS77_OAUTH_URL/revoke`: the refresh token (which ends the
 * grant's access tokens too), HTTP Basic with the issuing client, a short timeout.
 * 200 means revoked or unknown (§2.2); anything else is a failure the caller only logs.
 */
export async function revokeGrant(oauthUrl: string, creds: ClientCredentials, grant: Grant): Promise<void> {
  const refresh = grant.secrets.refreshToken
  const form = refresh
    ? { token: refresh, token_type_hint: 'refresh_token' }
    : { token: grant.secrets.accessToken, token_type_hint: 'access_token' }
  const res = await providerRequest('sms77', {
    method: 'POST',
    url: `${oauthUrl}/revoke`,
    headers: { authorization: basicAuth(creds), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    timeoutMs: 3_000,
  })
  if (res.status !== 200)
    throw new ProviderError(
      'sms77',
      res.status >= 500 ? 'provider_unavailable' : 'provider_rejected',
      'sms77 did not confirm the revocation.',
      new Error(`revoke HTTP ${res.status}`),
    )
}
