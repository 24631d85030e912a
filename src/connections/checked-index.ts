import type { RedisClient } from '../redis/client.js'
import {
  connectionKey,
  KEEPALIVE_BACKFILLED_KEY,
  KEEPALIVE_OLDEST_KEY,
  KEEPALIVE_TENANTS_KEY,
  tenantCheckedKey,
  tenantConnectionsKey,
  tenantConnectionsKeyPattern,
  tenantOfConnectionsKey,
} from '../redis/keys.js'
import { scanKeys } from '../redis/scan.js'
import { refOf } from './member.js'
import { INDEX_IF_MISSING } from './store-scripts.js'

/** A connected member of a tenant and when its grant was last obtained or checked (epoch ms). */
export interface CheckedEntry {
  member: string
  checkedAt: number
}

/**
 * The read side of the keep-alive index. The connection store's scripts keep it in step
 * with every record (store-scripts.ts): per tenant, the connected members scored by
 * `checkedAt`; globally, the tenants that have connections. A sweep reads it with no SCAN.
 */
export class CheckedIndex {
  constructor(private readonly redis: RedisClient) {}

  /** Every tenant that has (or had) connections, a page at a time (SSCAN). */
  async *tenants(): AsyncGenerator<string> {
    let cursor = '0'
    do {
      const [next, ids] = await this.redis.sscan(KEEPALIVE_TENANTS_KEY, cursor, 'COUNT', 500)
      yield* ids
      cursor = next
    } while (cursor !== '0')
  }

  /** The tenant's members last checked at or before `before`, oldest first, a page at a time. */
  async due(tenantId: string, before: number, offset: number, count: number): Promise<CheckedEntry[]> {
    const flat = await this.redis.zrangebyscore(
      tenantCheckedKey(tenantId),
      '-inf',
      before,
      'WITHSCORES',
      'LIMIT',
      offset,
      count,
    )
    return pairs(flat)
  }

  /** When the member was last checked, or null when it is not connected (gone, needs reconnect). */
  async checkedAt(tenantId: string, member: string): Promise<number | null> {
    const score = await this.redis.zscore(tenantCheckedKey(tenantId), member)
    return score === null ? null : Number(score)
  }

  /** The tenant's least recently checked member, or null when it has none connected. */
  async oldest(tenantId: string): Promise<CheckedEntry | null> {
    return pairs(await this.redis.zrange(tenantCheckedKey(tenantId), '0', '0', 'WITHSCORES'))[0] ?? null
  }

  /** Remembers the oldest `checkedAt` a sweep saw (null: nothing to keep alive). */
  async recordOldest(checkedAt: number | null): Promise<void> {
    if (checkedAt === null) await this.redis.del(KEEPALIVE_OLDEST_KEY)
    else await this.redis.set(KEEPALIVE_OLDEST_KEY, String(checkedAt))
  }

  async recordedOldest(): Promise<number | null> {
    const v = await this.redis.get(KEEPALIVE_OLDEST_KEY)
    return v === null ? null : Number(v)
  }

  /**
   * Indexes connections stored before the index existed, once per deployment: the one
   * whole-keyspace SCAN, run by a sweep, never by a request. Safe to run twice or
   * concurrently (each member is added atomically, only when connected and missing).
   * Returns how many members it added, or null when it had already run.
   */
  async backfillOnce(): Promise<number | null> {
    if (await this.redis.exists(KEEPALIVE_BACKFILLED_KEY)) return null
    let added = 0
    for await (const key of scanKeys(this.redis, tenantConnectionsKeyPattern())) {
      const tenantId = tenantOfConnectionsKey(key)
      if (tenantId === null) continue
      await this.redis.sadd(KEEPALIVE_TENANTS_KEY, tenantId)
      added += await this.backfillTenant(tenantId)
    }
    await this.redis.set(KEEPALIVE_BACKFILLED_KEY, String(Date.now()))
    return added
  }

  private async backfillTenant(tenantId: string): Promise<number> {
    let added = 0
    for (let offset = 0; ; offset += 500) {
      const members = await this.redis.zrange(
        tenantConnectionsKey(tenantId),
        String(offset),
        String(offset + 499),
      )
      if (members.length === 0) return added
      const p = this.redis.pipeline()
      for (const member of members) {
        const keys = [connectionKey(refOf(tenantId, member)), tenantCheckedKey(tenantId)]
        p.eval(INDEX_IF_MISSING, 2, ...keys, member)
      }
      for (const [, result] of (await p.exec()) ?? []) added += result === 1 ? 1 : 0
    }
  }
}

function pairs(flat: string[]): CheckedEntry[] {
  const out: CheckedEntry[] = []
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i]!, checkedAt: Number(flat[i + 1]) })
  return out
}
