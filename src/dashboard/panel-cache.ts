import type { RedisClient } from '../redis/client.js'
import { panelCacheKey } from '../redis/keys.js'

/**
 * A short cache of provider answers per (user, provider), one Redis hash each, so a
 * reload does not call the provider again and **Refresh** clears it in one DEL.
 * Only successful answers are cached; an error is retried on the next view.
 */
export class PanelCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSec = 30,
  ) {}

  private key(tenantId: string, userId: string, provider: string): string {
    return panelCacheKey(tenantId, userId, provider)
  }

  async getAll(tenantId: string, userId: string, provider: string): Promise<Map<string, unknown>> {
    if (this.ttlSec <= 0) return new Map()
    const h = await this.redis.hgetall(this.key(tenantId, userId, provider))
    return new Map(Object.entries(h).map(([k, v]) => [k, JSON.parse(v) as unknown]))
  }

  async put(
    tenantId: string,
    userId: string,
    provider: string,
    entries: Record<string, unknown>,
  ): Promise<void> {
    if (this.ttlSec <= 0 || Object.keys(entries).length === 0) return
    const key = this.key(tenantId, userId, provider)
    const fields = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, JSON.stringify(v)]))
    // The hash expires as a whole from its first fill, so no entry is older than ttlSec.
    await this.redis.multi().hset(key, fields).expire(key, this.ttlSec, 'NX').exec()
  }

  async clear(tenantId: string, userId: string, providers: string[]): Promise<void> {
    await this.redis.del(...providers.map((p) => this.key(tenantId, userId, p)))
  }
}
