import type { RedisClient } from '../redis/client.js'
import {
  connectionKey,
  tenantConnectionsKey,
  tenantKey,
  type ConnectionRef,
} from '../connections/connection-store.js'
import type { Money, ProviderId } from '../providers/types.js'

/**
 * Indexes that keep the support console cheap at 10,000 accounts per tenant: a search
 * set (one Lua pass over short strings, no per-row round trips), a balance-sorted set,
 * and a balance cache per connection. Members are `userId:provider`, as in the tenant's
 * connection set kept by ConnectionStore.
 */
export interface BalanceEntry {
  balance?: Money
  company?: string
  readAt?: number
  error?: string
}

export interface SupportRow {
  member: string
  userId: string
  provider: ProviderId
  email: string
  status: 'connected' | 'needs_reconnect' | 'error'
  accountLabel: string
  connectedAt: number
  entry: BalanceEntry
}

export type SortOrder = 'recent' | 'balance_asc' | 'balance_desc' | 'email'

const searchKey = (t: string) => tenantKey(t, 'support:search')
const searchTextKey = (t: string) => tenantKey(t, 'support:search-text')
const balanceKey = (t: string) => tenantKey(t, 'support:balance')
const entryKey = (t: string) => tenantKey(t, 'support:entries')

export function memberOf(ref: ConnectionRef): string {
  return `${ref.userId}:${ref.provider}`
}

export function refOf(tenantId: string, member: string): ConnectionRef {
  const [userId, provider] = member.split(':') as [string, ProviderId]
  return { tenantId, userId, provider }
}

// Returns matches in the set's (lexicographic) order after skipping `offset`: one round trip.
const SEARCH_SCRIPT = `
local all = redis.call('ZRANGE', KEYS[1], 0, -1)
local needle, offset, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out, seen = {}, 0
for _, entry in ipairs(all) do
  -- One plain scan per entry; a hit counts only before the NUL (in the text, not the id).
  local hit = string.find(entry, needle, 1, true)
  local sep = hit and string.find(entry, '\\0', 1, true)
  if hit and hit < sep then
    seen = seen + 1
    if seen > offset and #out < limit then out[#out + 1] = string.sub(entry, sep + 1) end
  end
end
return { seen, out }`

export class SupportIndex {
  constructor(private readonly redis: RedisClient) {}

  /** (Re)indexes a connection for search under its user's email and account names. */
  async indexConnection(ref: ConnectionRef, words: string[]): Promise<void> {
    const member = memberOf(ref)
    const text = words.filter(Boolean).join(' ').toLowerCase().replace(/\0/g, '')
    const old = await this.redis.hget(searchTextKey(ref.tenantId), member)
    const m = this.redis.multi()
    if (old !== null && old !== text) m.zrem(searchKey(ref.tenantId), `${old}\0${member}`)
    await m
      .zadd(searchKey(ref.tenantId), 0, `${text}\0${member}`)
      // Unread balances sort as -inf, so balance sorts list every account (NX: a reading stays).
      .zadd(balanceKey(ref.tenantId), 'NX', '-inf', member)
      .hset(searchTextKey(ref.tenantId), member, text)
      .exec()
  }

  async removeConnection(ref: ConnectionRef): Promise<void> {
    const member = memberOf(ref)
    const old = await this.redis.hget(searchTextKey(ref.tenantId), member)
    const m = this.redis
      .multi()
      .hdel(searchTextKey(ref.tenantId), member)
      .zrem(balanceKey(ref.tenantId), member)
      .hdel(entryKey(ref.tenantId), member)
    if (old !== null) m.zrem(searchKey(ref.tenantId), `${old}\0${member}`)
    await m.exec()
  }

  async recordBalance(ref: ConnectionRef, entry: BalanceEntry): Promise<void> {
    const member = memberOf(ref)
    const m = this.redis.multi().hset(entryKey(ref.tenantId), member, JSON.stringify(entry))
    if (entry.balance) m.zadd(balanceKey(ref.tenantId), entry.balance.amount, member)
    await m.exec()
  }

  async entries(tenantId: string, members: string[]): Promise<BalanceEntry[]> {
    if (members.length === 0) return []
    const raw = await this.redis.hmget(entryKey(tenantId), ...members)
    return raw.map((r) => (r ? (JSON.parse(r) as BalanceEntry) : {}))
  }

  /** One page of members: newest first, by balance, or matching a search. */
  async page(
    tenantId: string,
    opts: { search?: string; sort: SortOrder; offset: number; limit: number },
  ): Promise<{ total: number; members: string[] }> {
    const { offset, limit } = opts
    if (opts.search) {
      const [total, members] = (await this.redis.eval(
        SEARCH_SCRIPT,
        1,
        searchKey(tenantId),
        opts.search.toLowerCase().replace(/\0/g, ''),
        offset,
        limit,
      )) as [number, string[]]
      return { total, members }
    }
    // The search set's members start with the email (all scores 0), so its order is by email.
    const key =
      opts.sort === 'recent'
        ? tenantConnectionsKey(tenantId)
        : opts.sort === 'email'
          ? searchKey(tenantId)
          : balanceKey(tenantId)
    const stop = String(offset + limit - 1)
    const m = this.redis.multi().zcard(key)
    if (opts.sort === 'balance_asc' || opts.sort === 'email') m.zrange(key, offset, stop)
    else m.zrevrange(key, offset, stop)
    const [[, total], [, found]] = (await m.exec()) as [[null, number], [null, string[]]]
    const members = opts.sort === 'email' ? found.map((entry) => entry.slice(entry.indexOf('\0') + 1)) : found
    return { total, members }
  }

  /** Everything a row shows, for a page of members, in one pipeline. */
  async rows(tenantId: string, members: string[]): Promise<SupportRow[]> {
    if (members.length === 0) return []
    const p = this.redis.pipeline()
    for (const member of members) {
      const ref = refOf(tenantId, member)
      p.hmget(connectionKey(ref), 'status', 'accountLabel', 'createdAt')
      p.hget(tenantKey(tenantId, `user:${ref.userId}`), 'email')
    }
    const results = (await p.exec()) ?? []
    const entries = await this.entries(tenantId, members)
    return members.flatMap((member, i) => {
      const [status, accountLabel, createdAt] = (results[i * 2]?.[1] as (string | null)[]) ?? []
      if (!status) return []
      const ref = refOf(tenantId, member)
      return [
        {
          member,
          userId: ref.userId,
          provider: ref.provider,
          email: (results[i * 2 + 1]?.[1] as string | null) ?? '(removed user)',
          status:
            status === 'needs_reconnect' ? 'needs_reconnect' : entries[i]!.error ? 'error' : 'connected',
          accountLabel: accountLabel ?? '',
          connectedAt: Number(createdAt),
          entry: entries[i]!,
        },
      ]
    })
  }
}
