import type { RedisClient } from '../redis/client.js'
import { tenantConnectionsKey } from '../redis/keys.js'

// The members after a position in the tenant's connection set (oldest first): found by the
// last member's rank, or, if that member is gone since, by its score (ties by member, as
// the set orders them). One script, so a page never skips or repeats a member because of a
// connect or disconnect between two pages.
const AFTER = `
local at, member, count = ARGV[1], ARGV[2], tonumber(ARGV[3])
local start = 0
if member ~= '' then
  local rank = redis.call('ZRANK', KEYS[1], member)
  if rank then
    start = rank + 1
  else
    start = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. at)
    for _, m in ipairs(redis.call('ZRANGE', KEYS[1], at, at, 'BYSCORE')) do
      if m < member then start = start + 1 end
    end
  end
end
return redis.call('ZRANGE', KEYS[1], start, start + count - 1, 'WITHSCORES')`

/**
 * Keyset paging over the tenant's connections (the set ConnectionStore keeps): stable
 * under concurrent changes, unlike offsets, for API clients that walk every page.
 */
export class ConnectionPages {
  constructor(private readonly redis: RedisClient) {}

  async after(
    tenantId: string,
    position: { at: number; member: string } | undefined,
    count: number,
  ): Promise<Array<{ at: number; member: string }>> {
    const flat = (await this.redis.eval(
      AFTER,
      1,
      tenantConnectionsKey(tenantId),
      String(position?.at ?? 0),
      position?.member ?? '',
      String(count),
    )) as string[]
    const out: Array<{ at: number; member: string }> = []
    for (let i = 0; i < flat.length; i += 2) out.push({ member: flat[i]!, at: Number(flat[i + 1]) })
    return out
  }
}
