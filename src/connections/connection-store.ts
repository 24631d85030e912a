import type { RedisClient } from '../redis/client.js'
import { hmgetEach } from '../redis/read-many.js'
import {
  clientUsageKey,
  connectionKey,
  KEEPALIVE_TENANTS_KEY,
  tenantCheckedKey,
  tenantConnectionsKey,
  tenantHealthKey,
} from '../redis/keys.js'
import type { Grant, ProviderId } from '../providers/types.js'
import { memberOf } from './member.js'
import type { TenantCiphers } from '../crypto/tenant-ciphers.js'
import { markDead } from './health.js'
import {
  decodeRecord,
  DEFAULT_CLIENT,
  statusOf,
  storedSecrets,
  summaryOf,
  type ClientRef,
  type ConnectionRecord,
  type ConnectionRef,
  type ConnectionStatus,
  type ConnectionSummary,
} from './record.js'
import { fieldsOf, REMOVE, REPLACE, UPDATE_IF_GENERATION } from './store-scripts.js'
import { grantFields, importRecords, newGeneration } from './grant-fields.js'

export {
  DEFAULT_CLIENT,
  type ClientRef,
  type ConnectionRecord,
  type ConnectionRef,
  type ConnectionStatus,
  type ConnectionSummary,
} from './record.js'

/**
 * One Redis hash per connection. Secrets are one AES-GCM blob, so a rotated refresh
 * token and its access token are always written together. Every write after the first
 * is fenced by the record's generation (store-scripts.ts); only the lifecycle service
 * (lifecycle.ts) calls the writing methods.
 */
export class ConnectionStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ciphers: TenantCiphers,
  ) {}

  async get(ref: ConnectionRef): Promise<ConnectionRecord | null> {
    const h = await this.redis.hgetall(connectionKey(ref))
    if (!h.secrets) return null
    return decodeRecord(
      await this.ciphers.forTenant(ref.tenantId, storedSecrets(h)),
      ref,
      connectionKey(ref),
      h,
    )
  }

  /** The stored status alone (no decryption), or null when not connected. */
  async status(ref: ConnectionRef): Promise<ConnectionStatus | null> {
    const status = await this.redis.hget(connectionKey(ref), 'status')
    return status === null ? null : statusOf(status)
  }

  /** Summaries of many connections of one tenant in one command; null where there is none. */
  async summaries(refs: ConnectionRef[]): Promise<(ConnectionSummary | null)[]> {
    if (refs.length === 0) return []
    const keys = refs.map((ref) => connectionKey(ref))
    const fields = ['status', 'accountLabel', 'createdAt', 'name', 'statusReason']
    return (await hmgetEach(this.redis, keys, fields)).map((f) => summaryOf(f ?? []))
  }

  count = (tenantId: string): Promise<number> => this.redis.zcard(tenantConnectionsKey(tenantId))

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

  /**
   * Connects or reconnects: the grant replaces whatever was stored, under a new
   * generation. Returns the record it replaced, if any, so its tokens can be revoked.
   */
  async replace(ref: ConnectionRef, grant: Grant, client: ClientRef): Promise<ConnectionRecord | null> {
    const key = connectionKey(ref)
    const sealer = await this.ciphers.forTenant(ref.tenantId)
    const fields = { ...grantFields(sealer, key, grant), checkedAt: String(grant.obtainedAt) }
    // First, so a keep-alive sweep finds the tenant before its first connection exists.
    await this.redis.sadd(KEEPALIVE_TENANTS_KEY, ref.tenantId)
    const old = await this.redis.eval(
      REPLACE,
      5,
      ...this.scriptKeys(ref),
      memberOf(ref),
      String(Date.now()),
      newGeneration(),
      client,
      ...Object.entries(fields).flat(),
    )
    return await this.decodeQuietly(ref, fieldsOf(old))
  }

  /** For tests and tools that plant a grant: a connect by the operator's default client. */
  async saveGrant(ref: ConnectionRef, grant: Grant, client: ClientRef = DEFAULT_CLIENT): Promise<void> {
    await this.replace(ref, grant, client)
  }

  /** Stores a refreshed grant only if the connection is still the one read (same generation). */
  async updateGrant(ref: ConnectionRef, generation: string, grant: Grant): Promise<boolean> {
    const sealer = await this.ciphers.forTenant(ref.tenantId)
    // The status is not the refresh's to set: a recovery is one move (health.ts RECOVER).
    const {
      status: _status,
      statusReason: _reason,
      ...grantOnly
    } = grantFields(sealer, connectionKey(ref), grant)
    return this.updateIf(ref, generation, { ...grantOnly, checkedAt: String(Date.now()) })
  }

  /** Needs reconnect if still the one read (the lifecycle moves statuses through health.ts). */
  async markNeedsReconnect(ref: ConnectionRef, generation: string, reason: string): Promise<boolean> {
    return (await markDead(this.redis, ref, generation, reason, Date.now())) !== null
  }

  /** Names the connection ('' clears the name) if it is still the one read (same generation). */
  rename(ref: ConnectionRef, generation: string, name: string): Promise<boolean> {
    return this.updateIf(ref, generation, { name, updatedAt: String(Date.now()) })
  }

  /** Records that the grant was found alive at the provider (keep-alive without a refresh). */
  markChecked(ref: ConnectionRef, generation: string, at = Date.now()): Promise<boolean> {
    return this.updateIf(ref, generation, { checkedAt: String(at) })
  }

  /** Deletes the connection; returns what was deleted (to revoke its tokens), or null. */
  async remove(ref: ConnectionRef): Promise<ConnectionRecord | null> {
    const old = await this.redis.eval(REMOVE, 5, ...this.scriptKeys(ref), memberOf(ref))
    return await this.decodeQuietly(ref, fieldsOf(old))
  }

  /** How many of the tenant's connections each client (default, tenant versions) issued. */
  async clientUsage(tenantId: string, provider: ProviderId): Promise<Record<string, number>> {
    const h = await this.redis.hgetall(clientUsageKey(tenantId, provider))
    return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Math.max(0, Number(v) || 0)]))
  }

  /**
   * Writes whole records of one tenant in one pipeline, as they are (status and times
   * included): for seeding demo data, where nothing else is writing them.
   */
  async importMany(records: ConnectionRecord[]): Promise<void> {
    if (records.length === 0) return
    await importRecords(this.redis, await this.ciphers.forTenant(records[0]!.ref.tenantId), records)
  }

  private async updateIf(ref: ConnectionRef, generation: string, fields: Record<string, string>) {
    const keys = [connectionKey(ref), tenantCheckedKey(ref.tenantId)]
    const args = [generation, memberOf(ref), ...Object.entries(fields).flat()]
    return (await this.redis.eval(UPDATE_IF_GENERATION, 2, ...keys, ...args)) === 1
  }

  /** KEYS of REPLACE and REMOVE (store-scripts.ts), all in the tenant's slot. */
  private scriptKeys(ref: ConnectionRef): string[] {
    const { tenantId, provider } = ref
    const index = [tenantConnectionsKey(tenantId), clientUsageKey(tenantId, provider)]
    return [connectionKey(ref), ...index, tenantCheckedKey(tenantId), tenantHealthKey(tenantId)]
  }

  /** A replaced or deleted record that cannot be decrypted is simply not revoked. */
  private async decodeQuietly(
    ref: ConnectionRef,
    h: Record<string, string>,
  ): Promise<ConnectionRecord | null> {
    if (!h.secrets) return null
    try {
      return decodeRecord(
        await this.ciphers.forTenant(ref.tenantId, storedSecrets(h)),
        ref,
        connectionKey(ref),
        h,
      )
    } catch {
      return null
    }
  }
}
