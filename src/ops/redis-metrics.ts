import type { RedisClient } from '../redis/client.js'
import { watchCommandTimeouts } from '../redis/command-timeouts.js'
import { redisReady } from './health.js'
import type { Metrics } from './metrics.js'

/** `switchboard_ready` (read at each scrape, as `/readyz`) and `redis_command_timeouts_total`. */
export function observeRedis(metrics: Metrics, redis: RedisClient): void {
  metrics.readiness(() => redisReady(redis))
  watchCommandTimeouts(redis, () => metrics.redisCommandTimedOut())
}
