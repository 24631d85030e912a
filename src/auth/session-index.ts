import type { RedisClient } from '../redis/client.js'
import { SESSION_KEY_PREFIX, userKey, userSessionsKey as key } from '../redis/keys.js'

/**
 * Which sessions a user has, so ending them deletes them at once, and the one function that
 * ends a person's sessions (password reset and change; a second factor changed; deletion).
 * The index expires 16 hours after a sign-in while sessions slide, so it may miss older
 * sessions: ending also stamps the person's `sessionsValidAfter`, which every request
 * compares with its session's sign-in time (`sessionIsCurrent`), so a missed one ends too.
 */
export class SessionIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly sessionPrefix = SESSION_KEY_PREFIX,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sessions signed in before now are over, listed or not; returns the stamp. */
  private async stamp(tenantId: string, userId: string): Promise<number> {
    const at = this.now()
    // Only onto a user that exists (HSET would otherwise make a stray hash of a removed one).
    const ukey = userKey(tenantId, userId)
    if (await this.redis.exists(ukey)) await this.redis.hset(ukey, 'sessionsValidAfter', String(at))
    return at
  }

  async add(tenantId: string, userId: string, sessionId: string): Promise<void> {
    await this.redis
      .multi()
      .sadd(key(tenantId, userId), sessionId)
      .expire(key(tenantId, userId), 8 * 3600 * 2)
      .exec()
  }

  /**
   * Ends every session of the user but `keep` (the one changing the password), whose
   * `signedInAt` the caller sets to the returned stamp so it stays current.
   */
  async removeOthers(tenantId: string, userId: string, keep: string): Promise<number> {
    const at = await this.stamp(tenantId, userId)
    const ids = (await this.redis.smembers(key(tenantId, userId))).filter((id) => id !== keep)
    await Promise.all(ids.map((id) => this.redis.del(`${this.sessionPrefix}${id}`)))
    if (ids.length) await this.redis.srem(key(tenantId, userId), ...ids)
    return at
  }

  /** Ends every session of the user, listed or not. */
  async removeAll(tenantId: string, userId: string): Promise<number> {
    await this.stamp(tenantId, userId)
    const ids = await this.redis.smembers(key(tenantId, userId))
    // One DEL per session: session keys carry no hash tag, so on a Redis Cluster they
    // live in different slots and a multi-key DEL would fail with CROSSSLOT.
    await Promise.all(ids.map((id) => this.redis.del(`${this.sessionPrefix}${id}`)))
    await this.redis.del(key(tenantId, userId))
    return ids.length
  }
}
