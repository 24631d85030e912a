import type { RedisClient } from '../redis/client.js'
import { SESSION_KEY_PREFIX, userSessionsKey as key } from '../redis/keys.js'

/**
 * Which sessions a user has, so removing the user deletes them all at once. (Every
 * request also re-reads the user, so a stale entry here is harmless.)
 */
export class SessionIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly sessionPrefix = SESSION_KEY_PREFIX,
  ) {}

  async add(tenantId: string, userId: string, sessionId: string): Promise<void> {
    await this.redis
      .multi()
      .sadd(key(tenantId, userId), sessionId)
      .expire(key(tenantId, userId), 8 * 3600 * 2)
      .exec()
  }

  /** Ends every session of the user but `keep` (the one changing the password). */
  async removeOthers(tenantId: string, userId: string, keep: string): Promise<number> {
    const ids = (await this.redis.smembers(key(tenantId, userId))).filter((id) => id !== keep)
    await Promise.all(ids.map((id) => this.redis.del(`${this.sessionPrefix}${id}`)))
    if (ids.length) await this.redis.srem(key(tenantId, userId), ...ids)
    return ids.length
  }

  async removeAll(tenantId: string, userId: string): Promise<number> {
    const ids = await this.redis.smembers(key(tenantId, userId))
    // One DEL per session: session keys carry no hash tag, so on a Redis Cluster they
    // live in different slots and a multi-key DEL would fail with CROSSSLOT.
    await Promise.all(ids.map((id) => this.redis.del(`${this.sessionPrefix}${id}`)))
    await this.redis.del(key(tenantId, userId))
    return ids.length
  }
}
