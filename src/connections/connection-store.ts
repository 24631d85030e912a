import type { RedisClient } from '../redis/client.js'
import type { Grant, ProviderId, Secrets } from '../providers/types.js'
import { TokenCipher } from '../crypto/token-cipher.js'
import { AppError } from '../errors.js'

export type ConnectionStatus = 'connected' | 'needs_reconnect'

export interface ConnectionRef {
  tenantId: string
  userId: string
  provider: ProviderId
}

export interface ConnectionRecord {
  ref: ConnectionRef
  status: ConnectionStatus
  grant: Grant
  createdAt: number
  updatedAt: number
  /** Why the connection needs a reconnect, in words a user may read. */
  statusReason?: string
}

/** Tenant-scoped keys carry the tenant in a hash tag so a Redis Cluster keeps them in one slot. */
export function tenantKey(tenantId: string, rest: string): string {
  return `t:{${tenantId}}:${rest}`
}

export function connectionKey(ref: ConnectionRef): string {
  return tenantKey(ref.tenantId, `conn:${ref.userId}:${ref.provider}`)
}

export function tenantConnectionsKey(tenantId: string): string {
  return tenantKey(tenantId, 'conns')
}

function memberOf(ref: ConnectionRef): string {
  return `${ref.userId}:${ref.provider}`
}

/**
 * One Redis hash per connection. Secrets are one AES-GCM blob, so a rotated refresh
 * token and its access token are always written together in one HSET.
 */
export class ConnectionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly cipher: TokenCipher,
  ) {}

  async get(ref: ConnectionRef): Promise<ConnectionRecord | null> {
    const h = await this.redis.hgetall(connectionKey(ref))
    if (!h.secrets) return null
    const secrets = readSecrets(this.cipher.decrypt(h.secrets, connectionKey(ref)))
    return {
      ref,
      status: h.status === 'needs_reconnect' ? 'needs_reconnect' : 'connected',
      statusReason: h.statusReason || undefined,
      createdAt: epochMs(h.createdAt),
      updatedAt: epochMs(h.updatedAt),
      grant: {
        secrets,
        // An unreadable expiry counts as expired: the next use refreshes instead of trusting it.
        expiresAt: h.expiresAt ? epochMs(h.expiresAt) : undefined,
        obtainedAt: epochMs(h.obtainedAt),
        scopes: h.scopes ? h.scopes.split(' ').filter(Boolean) : [],
        accountId: h.accountId ?? '',
        accountLabel: h.accountLabel ?? '',
      },
    }
  }

  /** The stored status alone (no decryption), or null when not connected. */
  async status(ref: ConnectionRef): Promise<ConnectionStatus | null> {
    const status = await this.redis.hget(connectionKey(ref), 'status')
    return status === null ? null : status === 'needs_reconnect' ? 'needs_reconnect' : 'connected'
  }

  /** Stores a new or refreshed grant and marks the connection connected, in one write. */
  async saveGrant(ref: ConnectionRef, grant: Grant): Promise<void> {
    const key = connectionKey(ref)
    const now = Date.now()
    await this.redis
      .multi()
      .hsetnx(key, 'createdAt', String(now))
      .hset(key, {
        secrets: this.cipher.encrypt(JSON.stringify(grant.secrets), key),
        expiresAt: grant.expiresAt ? String(grant.expiresAt) : '',
        obtainedAt: String(grant.obtainedAt),
        scopes: grant.scopes.join(' '),
        accountId: grant.accountId,
        accountLabel: grant.accountLabel,
        status: 'connected',
        statusReason: '',
        updatedAt: String(now),
        keyId: this.cipher.currentKeyId,
      })
      .zadd(tenantConnectionsKey(ref.tenantId), now, memberOf(ref))
      .exec()
  }

  async markNeedsReconnect(ref: ConnectionRef, reason: string): Promise<void> {
    const key = connectionKey(ref)
    // Only a record that still exists is marked: a concurrent disconnect wins.
    if (await this.redis.exists(key)) {
      await this.redis.hset(key, {
        status: 'needs_reconnect',
        statusReason: reason,
        updatedAt: String(Date.now()),
      })
    }
  }

  async delete(ref: ConnectionRef): Promise<boolean> {
    const [[, removed] = []] = (await this.redis
      .multi()
      .del(connectionKey(ref))
      .zrem(tenantConnectionsKey(ref.tenantId), memberOf(ref))
      .exec()) ?? [[null, 0]]
    return removed === 1
  }
}

function epochMs(v: string | undefined): number {
  const n = Number(v)
  return Number.isFinite(n) ? n : 0
}

/** The decrypted secrets, or `decrypt_failed` when they are not the shape this code writes. */
function readSecrets(plaintext: string): Secrets {
  let value: unknown
  try {
    value = JSON.parse(plaintext)
  } catch (err) {
    throw unreadable(err)
  }
  const v = (value ?? {}) as Record<string, unknown>
  const optional = (x: unknown) => x === undefined || typeof x === 'string'
  if (typeof v.accessToken !== 'string' || !optional(v.refreshToken) || !optional(v.tokenSecret))
    throw unreadable()
  return {
    accessToken: v.accessToken,
    ...(typeof v.refreshToken === 'string' ? { refreshToken: v.refreshToken } : {}),
    ...(typeof v.tokenSecret === 'string' ? { tokenSecret: v.tokenSecret } : {}),
  }
}

function unreadable(cause?: unknown): AppError {
  return new AppError('decrypt_failed', 'The stored connection could not be read; please reconnect.', {
    status: 500,
    expose: true,
    cause: cause ?? new Error('stored secrets have an unexpected shape'),
  })
}
