import { createHash, timingSafeEqual } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { pendingFlowKey } from '../redis/keys.js'
import type { ProviderId } from '../providers/types.js'
import type { TokenCipher } from '../crypto/token-cipher.js'
import type { ClientRef } from './connection-store.js'
import { noteGlobalKey } from './global-trail.js'

/** A started connect flow, waiting for the provider to send the browser back. */
export interface PendingFlow {
  provider: ProviderId
  /** The value the callback must carry: OAuth 2.0 state or OAuth 1.0a request token. */
  correlation: string
  sessionId: string
  tenantId: string
  userId: string
  scopes: string[]
  pendingSecret?: string
  /** The OAuth client the flow began with; absent on flows begun before clients were kept. */
  client?: ClientRef
  /** Set when an admin connects for the organisation (a shared connection); else the person's own. */
  owner?: 'organisation'
  createdAt: number
  /** The digest of the reconnect link the flow was started from (used up when it completes). */
  reconnectLink?: string
}

export const PENDING_FLOW_TTL_SEC = 600

// Keyed by, and holding only, a hash of the correlation value: a Redis dump then reveals
// no live state.
function digest(correlation: string): string {
  return createHash('sha256').update(correlation).digest('base64url')
}

function flowKey(correlation: string): string {
  return pendingFlowKey(digest(correlation))
}

/**
 * Pending flows live in Redis under their own correlation value for 10 minutes, so any
 * instance can finish a flow, several tabs can each run one, and GETDEL makes each
 * usable exactly once.
 */
export class PendingFlowStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly cipher: TokenCipher,
  ) {}

  async put(flow: PendingFlow): Promise<void> {
    const key = flowKey(flow.correlation)
    const stored = {
      ...flow,
      correlation: digest(flow.correlation),
      pendingSecret: flow.pendingSecret ? this.cipher.encrypt(flow.pendingSecret, key) : undefined,
    }
    await this.redis.set(key, JSON.stringify(stored), 'EX', PENDING_FLOW_TTL_SEC)
    await noteGlobalKey(this.redis, flow.tenantId, key, PENDING_FLOW_TTL_SEC)
  }

  /** Takes the flow (it can never be taken again) if it exists and belongs to this session. */
  async take(correlation: string, sessionId: string): Promise<PendingFlow | null> {
    const key = flowKey(correlation)
    const raw = await this.redis.getdel(key)
    if (!raw) return null
    const flow = JSON.parse(raw) as PendingFlow
    if (!sameSecret(flow.correlation, digest(correlation)) || !sameSecret(flow.sessionId, sessionId))
      return null
    return {
      ...flow,
      correlation,
      pendingSecret: flow.pendingSecret ? this.cipher.decrypt(flow.pendingSecret, key) : undefined,
    }
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
