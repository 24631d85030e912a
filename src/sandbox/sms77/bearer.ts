import type { Request } from 'express'
import type { AccessGrant, OAuthStore } from './oauth-store.js'

export type BearerCheck = { ok: true; grant: AccessGrant } | { ok: false; reason: 'invalid' | 'expired' }

/** `Authorization: Bearer <token>`, sent "without any further encoding" (PROVIDERS.md §2). */
export function readBearer(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')
  return match?.[1]
}

/** Resolves the request's bearer token; a missing header counts as invalid (RFC 6750 §3.1). */
export function checkBearer(store: OAuthStore, req: Request): BearerCheck {
  const token = readBearer(req)
  const grant = token === undefined ? undefined : store.findAccess(token)
  if (!grant) return { ok: false, reason: 'invalid' }
  if (grant.expiresAt <= Date.now()) return { ok: false, reason: 'expired' }
  return { ok: true, grant }
}
