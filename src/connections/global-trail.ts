import type { RedisClient } from '../redis/client.js'
import { globalTrailKey } from '../redis/data-keys.js'

/**
 * Keys outside an organisation's slot that name it and lapse on their own (a reconnect link
 * lives 72 h, a connect flow 10 min): listed in its slot by expiry, so deleting the
 * organisation removes them at once instead of leaving them to lapse.
 */
export async function noteGlobalKey(
  redis: RedisClient,
  tenantId: string,
  key: string,
  ttlSec: number,
): Promise<void> {
  const now = Date.now()
  await redis
    .pipeline()
    .zadd(globalTrailKey(tenantId), now + ttlSec * 1000, key)
    .zremrangebyscore(globalTrailKey(tenantId), '-inf', now)
    .exec()
}

/** The organisation's global keys that have not lapsed yet. */
export async function globalTrailOf(redis: RedisClient, tenantId: string): Promise<string[]> {
  return redis.zrangebyscore(globalTrailKey(tenantId), Date.now(), '+inf')
}
