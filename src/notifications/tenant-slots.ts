import type { RedisClient } from '../redis/client.js'
import { webhookSlotsKey } from '../redis/keys.js'

/**
 * Claims a slot when the tenant holds fewer than ARGV[2] unexpired ones, or already holds
 * this one (a delivery handed back after a crash takes its own slot again). Claims lapse
 * by themselves after ARGV[3] ms, so a process killed mid-delivery leaks none for long.
 * Redis's own clock judges expiry, so instances with skewed clocks agree.
 * KEYS[1] the tenant's slots; ARGV: holder, limit, ttl ms.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`

/**
 * A counting semaphore per tenant, shared by every instance: at most `limit` of one
 * tenant's deliveries run at once, so a tenant whose endpoint hangs can hold only that
 * many worker slots and never the whole pool.
 */
export class TenantSlots {
  constructor(
    private readonly redis: RedisClient,
    readonly limit: number,
    /** Longer than one delivery can take (its timeout), so a live claim never lapses. */
    private readonly ttlMs: number,
  ) {}

  async take(tenantId: string, holder: string): Promise<boolean> {
    const taken = await this.redis.eval(TAKE, 1, webhookSlotsKey(tenantId), holder, this.limit, this.ttlMs)
    return taken === 1
  }

  async give(tenantId: string, holder: string): Promise<void> {
    await this.redis.zrem(webhookSlotsKey(tenantId), holder)
  }
}
