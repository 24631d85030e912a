import { createHash } from 'node:crypto'
import type { CodeGrant } from '../oauth-store.js'
import { lifetimes, type OAuthDeps } from './deps.js'
import { invalidCode, missing, TokenError } from './token-error.js'
import { tokenResponse, type TokenBody } from './token-response.js'

// RFC 7636 §4.1: 43-128 unreserved characters.
const VERIFIER_SYNTAX = /^[A-Za-z0-9\-._~]{43,128}$/

const pkceFailure = (description: string) => new TokenError('invalid_grant', description)

/**
 * RFC 7636 §4.6: a code issued with a challenge needs the matching S256 verifier, else
 * `invalid_grant`. A verifier for a code issued without a challenge is refused too
 * (RFC 9700 §2.1.1, §4.8.2: PKCE downgrade).
 */
function checkPkce(grant: CodeGrant, verifier: string | undefined): void {
  if (grant.codeChallenge === undefined) {
    if (verifier)
      throw pkceFailure('A code verifier was sent but the authorization request had no code challenge')
    return
  }
  if (!verifier) throw pkceFailure('The PKCE code verifier parameter is required.')
  if (!VERIFIER_SYNTAX.test(verifier)) throw pkceFailure('The PKCE code verifier parameter is invalid.')
  if (createHash('sha256').update(verifier).digest('base64url') !== grant.codeChallenge) {
    throw pkceFailure('The PKCE code verifier parameter does not match the code challenge.')
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
  const pair = deps.store.issuePair(owner, lifetimes(deps))
  deps.stats.codeExchanges++
  return tokenResponse(pair)
}
