import { createHash } from 'node:crypto'
import type { Sms77Revocation } from '../../types.js'
import type { AccessGrant, RefreshGrant } from '../oauth-store.js'
import type { OAuthDeps } from './deps.js'
import { withinGrace } from './grant-refresh.js'

export type TokenHint = 'refresh_token' | 'access_token'

type Found = { kind: 'refresh_token'; grant: RefreshGrant } | { kind: 'access_token'; grant: AccessGrant }

// The list is for tests and the control surface; a long dev session must not grow it forever.
const MAX_REMEMBERED = 1000

/** SHA-256 hex of a token: how revocation records name a token without keeping it. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

function liveRefresh(deps: OAuthDeps, token: string): Found | undefined {
  const grant = deps.store.findRefresh(token)
  if (!grant || grant.expiresAt <= Date.now()) return undefined
  // A rotated-out token past its grace period is already dead; its grant lives on.
  if (grant.rotatedAt !== undefined && !withinGrace(deps, grant)) return undefined
  return { kind: 'refresh_token', grant }
}

function liveAccess(deps: OAuthDeps, token: string): Found | undefined {
  const grant = deps.store.findAccess(token)
  return grant && grant.expiresAt > Date.now() ? { kind: 'access_token', grant } : undefined
}

/** RFC 7009 §2.1: look where the hint points first, then extend the search to every kind. */
function findLive(deps: OAuthDeps, token: string, hint: TokenHint | undefined): Found | undefined {
  const order = hint === 'access_token' ? [liveAccess, liveRefresh] : [liveRefresh, liveAccess]
  for (const find of order) {
    const found = find(deps, token)
    if (found) return found
  }
  return undefined
}

function remember(deps: OAuthDeps, record: Sms77Revocation): void {
  const list = deps.stats.revocations
  list.push(record)
  if (list.length > MAX_REMEMBERED) list.splice(0, list.length - MAX_REMEMBERED)
}

/**
 * Revokes `token` for the authenticated `clientId` (RFC 7009 §2.1) and records the call.
 * A refresh token ends its whole grant, with every access token issued from it; an access
 * token ends alone. Unknown or dead tokens change nothing. Another client's token is left
 * alone and the outcome says `refused`.
 */
export function revokeToken(
  deps: OAuthDeps,
  caller: Pick<Sms77Revocation, 'clientId' | 'clientAuth'>,
  token: string,
  hint: TokenHint | undefined,
): Sms77Revocation {
  const found = findLive(deps, token, hint)
  let outcome: Sms77Revocation['outcome'] = 'inactive'
  if (found && found.grant.clientId !== caller.clientId) outcome = 'refused'
  else if (found?.kind === 'refresh_token') {
    deps.store.revokeGrant(found.grant.grantId)
    outcome = 'revoked'
  } else if (found?.kind === 'access_token') {
    deps.store.revokeAccess(token)
    outcome = 'revoked'
  }
  const record: Sms77Revocation = {
    ...caller,
    tokenKind: found?.kind ?? 'unknown',
    hint,
    outcome,
    userId: found?.grant.userId,
    tokenSha256: tokenFingerprint(token),
    at: Date.now(),
  }
  remember(deps, record)
  return record
}
