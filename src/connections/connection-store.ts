import type { RedisClient } from '../redis/client.js'
import { connectionKey, tenantConnectionsKey } from '../redis/keys.js'
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

/** What the support console lists of a connection, read without decrypting anything. */
export interface ConnectionSummary {
  status: ConnectionStatus
  accountLabel: string
  createdAt: number
}

/** A connection's member in the tenant's connection set (and the support indexes). */
export function memberOf(ref: ConnectionRef): string {
  return `${ref.userId}:${ref.provider}`
}

export function refOf(tenantId: string, member: string): ConnectionRef {
  const [userId, provider] = member.split(':') as [string, ProviderId]
  return { tenantId, userId, provider }
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
      status: statusOf(h.status ?? ''),
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
    return status === null ? null : statusOf(status)
  }

  /** Summaries of many connections of one tenant in one pipeline; null where there is none. */
  async summaries(refs: ConnectionRef[]): Promise<(ConnectionSummary | null)[]> {
    if (refs.length === 0) return []
    const p = this.redis.pipeline()
    for (const ref of refs) p.hmget(connectionKey(ref), 'status', 'accountLabel', 'createdAt')
    const results = (await p.exec()) ?? []
    return refs.map((_, i) => {
      const [status, accountLabel, createdAt] = (results[i]?.[1] as (string | null)[] | undefined) ?? []
      if (!status) return null
      return { status: statusOf(status), accountLabel: accountLabel ?? '', createdAt: Number(createdAt) }
    })
  }

  /** A page of the tenant's members by connection time (oldest first unless asked), and their count. */
  async listMembers(
    tenantId: string,
    page: { offset: number; count: number; newestFirst?: boolean },
  ): Promise<{ total: number; members: string[] }> {
    const key = tenantConnectionsKey(tenantId)
    const stop = String(page.offset + page.count - 1)
    const m = this.redis.multi().zcard(key)
    if (page.newestFirst) m.zrevrange(key, page.offset, stop)
    else m.zrange(key, page.offset, stop)
    const [[, total], [, members]] = (await m.exec()) as [[null, number], [null, string[]]]
    return { total, members }
  }

  /** Stores a new or refreshed grant and marks the connection connected, in one write. */
  async saveGrant(ref: ConnectionRef, grant: Grant): Promise<void> {
    const key = connectionKey(ref)
    const now = Date.now()
    await this.redis
      .multi()
      .hsetnx(key, 'createdAt', String(now))
      .hset(key, {
        ...this.grantFields(key, grant),
        status: 'connected',
        statusReason: '',
        updatedAt: String(now),
      })
      .zadd(tenantConnectionsKey(ref.tenantId), now, memberOf(ref))
      .exec()
  }

  /**
   * Writes whole records of one tenant in one pipeline, as they are (status and times
   * included): for seeding demo data, where nothing else is writing them.
   */
  async importMany(records: ConnectionRecord[]): Promise<void> {
    if (records.length === 0) return
    const p = this.redis.pipeline()
    for (const r of records) {
      const key = connectionKey(r.ref)
      p.hset(key, {
        ...this.grantFields(key, r.grant),
        status: r.status,
        statusReason: r.statusReason ?? '',
        createdAt: String(r.createdAt),
        updatedAt: String(r.updatedAt),
      })
      p.zadd(tenantConnectionsKey(r.ref.tenantId), r.createdAt, memberOf(r.ref))
    }
    await p.exec()
  }

  private grantFields(key: string, grant: Grant): Record<string, string> {
    return {
      secrets: this.cipher.encrypt(JSON.stringify(grant.secrets), key),
      expiresAt: grant.expiresAt ? String(grant.expiresAt) : '',
      obtainedAt: String(grant.obtainedAt),
      scopes: grant.scopes.join(' '),
      accountId: grant.accountId,
      accountLabel: grant.accountLabel,
      keyId: this.cipher.currentKeyId,
    }
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

function statusOf(stored: string): ConnectionStatus {
  return stored === 'needs_reconnect' ? 'needs_reconnect' : 'connected'
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
