import type { Redis } from '../redis/client.js'
import { tenantKey } from '../connections/connection-store.js'

const key = (tenantId: string, userId: string) => tenantKey(tenantId, `sessions:${userId}`)

/**
 * Which sessions a user has, so removing the user deletes them all at once. (Every
 * request also re-reads the user, so a stale entry here is harmless.)
 */
export class SessionIndex {
  constructor(
    private readonly redis: Redis,
    private readonly sessionPrefix = 'sess:',
  ) {}

  async add(tenantId: string, userId: string, sessionId: string): Promise<void> {
    await this.redis
      .multi()
      .sadd(key(tenantId, userId), sessionId)
      .expire(key(tenantId, userId), 8 * 3600 * 2)
      .exec()
  }

  async removeAll(tenantId: string, userId: string): Promise<number> {
    const ids = await this.redis.smembers(key(tenantId, userId))
    if (ids.length) await this.redis.del(...ids.map((id) => `${this.sessionPrefix}${id}`))
    await this.redis.del(key(tenantId, userId))
    return ids.length
  }
}
