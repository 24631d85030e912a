import type { RefreshGrant } from '../oauth-store.js'
import { parseScopes, type Scope } from '../scopes.js'
import { lifetimes, type OAuthDeps } from './deps.js'
import { invalidRefresh, missing, TokenError } from './token-error.js'
import { tokenResponse, type TokenBody } from './token-response.js'

/** RFC 6749 §6: a narrower `scope` may be asked for, never a wider one. */
function narrowedScopes(grant: RefreshGrant, raw: string | undefined): Scope[] | undefined {
  if (raw === undefined) return undefined
  const asked = parseScopes(raw)
  if (!asked || !asked.every((s) => grant.scopes.includes(s))) {
    throw new TokenError('invalid_scope', 'The scope requested is invalid for this request')
  }
  return asked
}

/** A rotated-out refresh token still usable because it was retired less than `refreshGraceSec` ago. */
export function withinGrace(deps: OAuthDeps, grant: RefreshGrant): boolean {
  const graceMs = deps.options().refreshGraceSec * 1000
  return grant.rotatedAt !== undefined && graceMs > 0 && Date.now() - grant.rotatedAt <= graceMs
}

/**
 * grant_type=refresh_token with rotation (PROVIDERS.md §1 "Refresh response"): each use
 * issues a new access and refresh token and retires the old refresh token. Within
 * `refreshGraceSec` of its retirement the old token still works and answers with the
 * NEWEST pair of its family (no new pair is minted), so two racing refreshes end up
 * holding the same tokens.
 */
export function refreshTokens(deps: OAuthDeps, clientId: string, body: TokenBody) {
  const token = body.refresh_token
  if (!token) throw missing('refresh_token')
  const grant = deps.store.findRefresh(token)
  if (!grant || grant.clientId !== clientId) throw invalidRefresh()
  if (grant.expiresAt <= Date.now()) throw new TokenError('invalid_grant', 'Refresh token has expired')
  const scopes = narrowedScopes(grant, body.scope)
  const ttl = lifetimes(deps)
  if (grant.rotatedAt !== undefined) {
    const newest = withinGrace(deps, grant) ? deps.store.newestPair(token, ttl.accessTtlSec) : undefined
    if (!newest) throw invalidRefresh()
    deps.stats.refreshes++
    return tokenResponse(newest)
  }
  const pair = deps.store.rotate(token, grant, ttl, scopes)
  deps.stats.refreshes++
  return tokenResponse(pair)
}
