import { createHash } from 'node:crypto'
import type { CodeGrant } from '../oauth-store.js'
import type { OAuthDeps } from './deps.js'
import { invalidCode, missing, TokenError } from './token-error.js'
import { tokenResponse, type TokenBody } from './token-response.js'

// RFC 7636 §4.6; error codes as bshaffer names them (PROVIDERS.md §1 table).
function checkPkce(grant: CodeGrant, verifier: string | undefined): void {
  if (grant.codeChallenge === undefined) return
  if (!verifier)
    throw new TokenError('code_verifier_missing', 'The PKCE code verifier parameter is required.')
  const computed =
    grant.codeChallengeMethod === 'S256'
      ? createHash('sha256').update(verifier).digest('base64url')
      : verifier
  if (computed !== grant.codeChallenge) {
    throw new TokenError(
      'code_verifier_mismatch',
      'The PKCE code verifier parameter does not match the code challenge.',
    )
  }
}

/**
 * grant_type=authorization_code (RFC 6749 §4.1.3). The code is deleted as soon as it is
 * looked up, so a second attempt fails even if the first one did too.
 */
export function exchangeCode(deps: OAuthDeps, clientId: string, body: TokenBody) {
  if (!body.code) throw missing('code')
  const grant = deps.store.takeCode(body.code)
  if (!grant || grant.clientId !== clientId) throw invalidCode()
  // The authorize request always carried a redirect_uri, so the token request must repeat it.
  if (body.redirect_uri !== grant.redirectUri) {
    throw new TokenError('redirect_uri_mismatch', 'The redirect URI is missing or do not match')
  }
  if (grant.expiresAt <= Date.now())
    throw new TokenError('invalid_grant', 'The authorization code has expired')
  checkPkce(grant, body.code_verifier)
  const owner = { clientId, userId: grant.userId, scopes: grant.scopes }
  const pair = deps.store.issuePair(owner, deps.options().accessTokenTtlSec)
  deps.stats.codeExchanges++
  return tokenResponse(pair)
}
