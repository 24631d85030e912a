import type { RedisClient } from '../redis/client.js'
import {
  supportBalanceKey as balanceKey,
  supportEntriesKey as entryKey,
  supportSearchKey as searchKey,
  supportSearchTextKey as searchTextKey,
} from '../redis/keys.js'
import type { UserStore } from '../auth/user-store.js'
import { memberOf, refOf, type ConnectionRef, type ConnectionStore } from '../connections/connection-store.js'
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
  /** The owner's name for the connection, when given. */
  name?: string
  connectedAt: number
  entry: BalanceEntry
}

export type SortOrder = 'recent' | 'balance_asc' | 'balance_desc' | 'email'

const searchText = (words: string[]) => words.filter(Boolean).join(' ').toLowerCase().replace(/\0/g, '')

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
  constructor(
    private readonly redis: RedisClient,
    private readonly records: { connections: ConnectionStore; users: UserStore },
  ) {}

  /** (Re)indexes a connection for search under its user's email and account names. */
  async indexConnection(ref: ConnectionRef, words: string[]): Promise<void> {
    const member = memberOf(ref)
    const text = searchText(words)
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

  /**
   * Indexes many connections of one tenant, with their balances, in one pipeline: for
   * seeding demo data, where none of them was indexed before.
   */
  async indexMany(items: Array<{ ref: ConnectionRef; words: string[]; entry: BalanceEntry }>): Promise<void> {
    if (items.length === 0) return
    const p = this.redis.pipeline()
    for (const { ref, words, entry } of items) {
      const member = memberOf(ref)
      const text = searchText(words)
      p.zadd(searchKey(ref.tenantId), 0, `${text}\0${member}`)
      p.hset(searchTextKey(ref.tenantId), member, text)
      if (entry.balance) p.zadd(balanceKey(ref.tenantId), entry.balance.amount, member)
      else p.zadd(balanceKey(ref.tenantId), 'NX', '-inf', member)
      p.hset(entryKey(ref.tenantId), member, JSON.stringify(entry))
    }
    await p.exec()
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
    if (opts.sort === 'recent')
      return this.records.connections.listMembers(tenantId, { offset, count: limit, newestFirst: true })
    // The search set's members start with the email (all scores 0), so its order is by email.
    const key = opts.sort === 'email' ? searchKey(tenantId) : balanceKey(tenantId)
    const stop = String(offset + limit - 1)
    const m = this.redis.multi().zcard(key)
    if (opts.sort === 'balance_asc' || opts.sort === 'email') m.zrange(key, offset, stop)
    else m.zrevrange(key, offset, stop)
    const [[, total], [, found]] = (await m.exec()) as [[null, number], [null, string[]]]
    const members = opts.sort === 'email' ? found.map((entry) => entry.slice(entry.indexOf('\0') + 1)) : found
    return { total, members }
  }

  /** Everything a row shows, for a page of members, read from the stores that own it. */
  async rows(tenantId: string, members: string[]): Promise<SupportRow[]> {
    if (members.length === 0) return []
    const refs = members.map((member) => refOf(tenantId, member))
    const [summaries, emails, entries] = await Promise.all([
      this.records.connections.summaries(refs),
      this.records.users.emails(
        tenantId,
        refs.map((ref) => ref.userId),
      ),
      this.entries(tenantId, members),
    ])
    return members.flatMap((member, i) => {
      const summary = summaries[i]
      if (!summary) return []
      const ref = refs[i]!
      return [
        {
          member,
          userId: ref.userId,
          provider: ref.provider,
          email: emails[i] ?? '(removed user)',
          status:
            summary.status === 'needs_reconnect'
              ? 'needs_reconnect'
              : entries[i]!.error
                ? 'error'
                : 'connected',
          accountLabel: summary.accountLabel,
          name: summary.name,
          connectedAt: summary.createdAt,
          entry: entries[i]!,
        },
      ]
    })
  }
}
