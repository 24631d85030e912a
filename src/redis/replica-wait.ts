import type { RedisClient } from './client.js'
import type { RedisTarget } from './target.js'

/**
 * Behind Sentinel, a rotated refresh token is acknowledged by a replica before the refresh
 * returns (WAIT 1, bounded), so a failover right after it is less likely to lose the only
 * copy of the token sms77 now honours. A single server has no replica to wait for; on a
 * Cluster, WAIT would have to reach the key's own master, which ioredis does not route
 * (docs/SECURITY.md lists the residual risk).
 */
export function replicaWait(target: RedisTarget, redis: RedisClient): (() => Promise<unknown>) | undefined {
  if (target.kind !== 'sentinel') return undefined
  return () => redis.wait(1, 250).catch(() => 0)
}
