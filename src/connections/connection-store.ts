import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import type { Grant, ProviderId } from '../providers/types.js'
import { TokenCipher } from './token-cipher.js'
import { decodeRecord } from './record-codec.js'
import { fieldsOf, REMOVE, REPLACE, UPDATE_IF_GENERATION } from './store-scripts.js'

export type ConnectionStatus = 'connected' | 'needs_reconnect'

export interface ConnectionRef {
  tenantId: string
  userId: string
  provider: ProviderId
}

/** Which OAuth client issued a grant: the operator's default, or a tenant's own by version. */
export type ClientRef = 'default' | `tenant:${string}`
export const DEFAULT_CLIENT: ClientRef = 'default'

export interface ConnectionRecord {
  ref: ConnectionRef
  status: ConnectionStatus
  grant: Grant
  createdAt: number
  updatedAt: number
  /** Changes on every connect and reconnect; a write that read another one is fenced off. */
  generation: string
  /** Absent on records from before clients were recorded: those use the tenant's current client. */
  client?: ClientRef
  /** Epoch ms the grant was last obtained or checked at the provider (keep-alive). */
  checkedAt: number
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

export function clientUsageKey(tenantId: string, provider: ProviderId): string {
  return tenantKey(tenantId, `client-usage:${provider}`)
}

function memberOf(ref: ConnectionRef): string {
  return `${ref.userId}:${ref.provider}`
}

/**
 * One Redis hash per connection. Secrets are one AES-GCM blob, so a rotated refresh
 * token and its access token are always written together. Every write after the first
 * is fenced by the record's generation (see store-scripts.ts).
 */
export class ConnectionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly cipher: TokenCipher,
  ) {}

  async get(ref: ConnectionRef): Promise<ConnectionRecord | null> {
    return this.read(ref, await this.redis.hgetall(connectionKey(ref)))
  }

  /** The stored status alone (no decryption), or null when not connected. */
  async status(ref: ConnectionRef): Promise<ConnectionStatus | null> {
    const status = await this.redis.hget(connectionKey(ref), 'status')
    return status === null ? null : status === 'needs_reconnect' ? 'needs_reconnect' : 'connected'
  }

  /**
   * Connects or reconnects: the grant replaces whatever was stored, under a new
   * generation. Returns the record it replaced, if any, so its tokens can be revoked.
   */
  async replace(ref: ConnectionRef, grant: Grant, client: ClientRef): Promise<ConnectionRecord | null> {
    const key = connectionKey(ref)
    const now = String(Date.now())
    const generation = randomBytes(8).toString('hex')
    const fields = { ...this.grantFields(key, grant), checkedAt: String(grant.obtainedAt) }
    const old = await this.redis.eval(
      REPLACE,
      3,
      key,
      tenantConnectionsKey(ref.tenantId),
      clientUsageKey(ref.tenantId, ref.provider),
      memberOf(ref),
      now,
      generation,
      client,
      ...Object.entries(fields).flat(),
    )
    return this.readQuietly(ref, fieldsOf(old))
  }

  /** Kept for tests and tools that plant a grant: a connect by the operator's default client. */
  async saveGrant(ref: ConnectionRef, grant: Grant, client: ClientRef = DEFAULT_CLIENT): Promise<void> {
    await this.replace(ref, grant, client)
  }

  /** Stores a refreshed grant only if the connection is still the one read (same generation). */
  updateGrant(ref: ConnectionRef, generation: string, grant: Grant): Promise<boolean> {
    const key = connectionKey(ref)
    return this.updateIf(ref, generation, { ...this.grantFields(key, grant), checkedAt: String(Date.now()) })
  }

  markNeedsReconnect(ref: ConnectionRef, generation: string, reason: string): Promise<boolean> {
    return this.updateIf(ref, generation, {
      status: 'needs_reconnect',
      statusReason: reason,
      updatedAt: String(Date.now()),
    })
  }

  /** Records that the grant was found alive at the provider (keep-alive without a refresh). */
  markChecked(ref: ConnectionRef, generation: string, at = Date.now()): Promise<boolean> {
    return this.updateIf(ref, generation, { checkedAt: String(at) })
  }

  /** Deletes the connection; returns what was deleted (to revoke its tokens), or null. */
  async remove(ref: ConnectionRef): Promise<ConnectionRecord | null> {
    const old = await this.redis.eval(
      REMOVE,
      3,
      connectionKey(ref),
      tenantConnectionsKey(ref.tenantId),
      clientUsageKey(ref.tenantId, ref.provider),
      memberOf(ref),
    )
    return this.readQuietly(ref, fieldsOf(old))
  }

  /** How many of the tenant's connections each client (default, tenant versions) issued. */
  async clientUsage(tenantId: string, provider: ProviderId): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(clientUsageKey(tenantId, provider))
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Math.max(0, Number(v) || 0)]))
  }

  private async updateIf(ref: ConnectionRef, generation: string, fields: Record<string, string>) {
    const done = await this.redis.eval(
      UPDATE_IF_GENERATION,
      1,
      connectionKey(ref),
      generation,
      ...Object.entries(fields).flat(),
    )
    return done === 1
  }

  private grantFields(key: string, grant: Grant): Record<string, string> {
    return {
      secrets: this.cipher.encrypt(JSON.stringify(grant.secrets), key),
      expiresAt: grant.expiresAt ? String(grant.expiresAt) : '',
      obtainedAt: String(grant.obtainedAt),
      scopes: grant.scopes.join(' '),
      accountId: grant.accountId,
      accountLabel: grant.accountLabel,
      status: 'connected',
      statusReason: '',
      updatedAt: String(Date.now()),
      keyId: this.cipher.currentKeyId,
    }
  }

  /** A replaced or deleted record that cannot be decrypted is simply not revoked. */
  private readQuietly(ref: ConnectionRef, h: Record<string, string>): ConnectionRecord | null {
    try {
      return this.read(ref, h)
    } catch {
      return null
    }
  }

  private read(ref: ConnectionRef, h: Record<string, string>): ConnectionRecord | null {
    return decodeRecord(this.cipher, ref, connectionKey(ref), h)
  }
}
