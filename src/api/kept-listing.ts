import type { RedisClient } from '../redis/client.js'
import { keptListingsKey, listingVersionKey } from '../redis/tenant-api.js'

/** A kept listing lives this long at most; the age of the balances it shows bounds it sooner. */
const KEPT_MS = 30_000
/** Query strings kept per tenant; past it the tenant's kept answers start over. */
const MAX_KEPT = 64
/** Longer query strings (a cursor is ~100 characters) are answered, never kept. */
const MAX_QUERY = 600

// Keeps an answer only while the listing is at the version it was built from: a change
// written after the build (and its version bump) means it may show the old state.
const KEEP = `
local version = redis.call('GET', KEYS[1]) or '0'
if version ~= ARGV[1] then return 0 end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 and redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[5]) then
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1] .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return 1`

/** What a read found: the listing's version now, and a kept answer still at it, if any. */
export interface ListingPeek {
  version: string
  body?: string
}

/**
 * `GET /api/v1/connections` answered from a kept body (the listing's JSON text), like one
 * connection's kept answer: an agent polling the listing costs one round trip, not the
 * directory's reads, the schema and the serialising. A body is answered while the tenant's
 * listing version is the one it was built at (every write to what it shows adds one) and
 * while every balance in it is younger than 30 s (an older one is read again by the build).
 */
export class KeptListings {
  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** The version and the kept answer for this exact query string, in one round trip. */
  async peek(tenantId: string, query: string): Promise<ListingPeek> {
    if (query.length > MAX_QUERY) return { version: '' }
    const [version, kept] = await Promise.all([
      this.redis.get(listingVersionKey(tenantId)),
      this.redis.hget(keptListingsKey(tenantId), query),
    ])
    const current = version ?? '0'
    const cut = kept?.indexOf('\n') ?? -1
    const next = cut < 0 ? -1 : kept!.indexOf('\n', cut + 1)
    if (next < 0 || kept!.slice(0, cut) !== current) return { version: current }
    if (this.now() >= Number(kept!.slice(cut + 1, next))) return { version: current }
    return { version: current, body: kept!.slice(next + 1) }
  }

  /** Keeps an answer built at `version` until `freshUntil` (epoch ms); false when it changed since. */
  async keep(tenantId: string, query: string, version: string, freshUntil: number, body: string) {
    if (query.length > MAX_QUERY || version === '') return false
    const until = Math.min(freshUntil, this.now() + KEPT_MS)
    const keys = [listingVersionKey(tenantId), keptListingsKey(tenantId)]
    const args = [version, query, String(until), body, String(MAX_KEPT), String(KEPT_MS)]
    return (await this.redis.eval(KEEP, 2, ...keys, ...args)) === 1
  }

  /** Something the listing shows changed (called after the write): kept answers are not used again. */
  async changed(tenantId: string): Promise<void> {
    await this.redis.incr(listingVersionKey(tenantId))
  }
}
