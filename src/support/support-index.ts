import type { RedisClient } from '../redis/client.js'
import {
  connectionKey,
  supportBalanceKey as balanceKey,
  supportEntriesKey as oldEntryKey,
  supportReadKey as readKey,
} from '../redis/keys.js'
import type { UserStore } from '../auth/user-store.js'
import { memberOf, refOf, type ConnectionRef, type ConnectionStore } from '../connections/connection-store.js'
import type { Money, ProviderId } from '../providers/types.js'
import { WordIndex } from './word-index.js'
import { decodeEntry, encodeEntry } from './balance-entry.js'
import { packMember } from './packed-member.js'

/**
 * Indexes that keep the support console cheap at 100,000 accounts per tenant: a word index
 * (search and email order, word-index.ts), a balance-sorted set, and a balance cache per
 * connection. Members are `userId:provider`, as in the tenant's connection set kept by
 * ConnectionStore. Every write that adds checks the connection still exists, so a read that
 * ends after a disconnect never brings the account back.
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

// Writes a balance entry only while the connection exists (KEYS[1]): a read that finishes
// after a disconnect must not bring the account back into the balance order. KEYS: record,
// the member's read bucket, balance order, the entries from before the buckets (the member
// leaves them). ARGV: packed member, entry JSON, amount ('' when unread: sorts as -inf), member.
const RECORD_BALANCE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[2] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  redis.call('HDEL', KEYS[4], ARGV[4])
end
if ARGV[3] ~= '' then redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
else redis.call('ZADD', KEYS[3], 'NX', '-inf', ARGV[4]) end
return 1`

export class SupportIndex {
  readonly words: WordIndex

  constructor(
    private readonly redis: RedisClient,
    private readonly records: { connections: ConnectionStore; users: UserStore },
  ) {
    this.words = new WordIndex(redis)
  }

  /**
   * (Re)indexes a connection for search under its user's email and account names, and the
   * company last read for it; lists it in the balance order (unread until read).
   */
  async indexConnection(ref: ConnectionRef, words: string[]): Promise<void> {
    const [entry] = await this.entries(ref.tenantId, [memberOf(ref)])
    await this.words.set(ref, [...words, entry?.company ?? ''])
    await this.guardedBalance(ref, '', undefined)
  }

  /**
   * Indexes many connections of one tenant, with their balances, in pipelines: for seeding
   * demo data, where none of them was indexed before.
   */
  async indexMany(items: Array<{ ref: ConnectionRef; words: string[]; entry: BalanceEntry }>): Promise<void> {
    if (items.length === 0) return
    const p = this.redis.pipeline()
    for (const { ref, entry } of items)
      p.eval(...this.balanceArgs(ref, encodeEntry(entry), entry.balance?.amount))
    await Promise.all([p.exec(), this.words.setMany(items)])
  }

  async removeConnection(ref: ConnectionRef): Promise<void> {
    const member = memberOf(ref)
    await this.words.remove(ref)
    await this.redis
      .multi()
      .zrem(balanceKey(ref.tenantId), member)
      .hdel(readKey(ref.tenantId, member), packMember(member))
      .hdel(oldEntryKey(ref.tenantId), member)
      .exec()
  }

  async recordBalance(ref: ConnectionRef, entry: BalanceEntry): Promise<void> {
    await this.guardedBalance(ref, encodeEntry(entry), entry.balance?.amount)
  }

  async entries(tenantId: string, members: string[]): Promise<BalanceEntry[]> {
    if (members.length === 0) return []
    const [fresh, old] = await Promise.all([
      Promise.all(members.map((m) => this.redis.hget(readKey(tenantId, m), packMember(m)))),
      this.redis.hmget(oldEntryKey(tenantId), ...members),
    ])
    return members.map((_, i) => decodeEntry(fresh[i] ?? old[i]))
  }

  /** Moves entries from before the read buckets into them (the backfill; a newer one wins). */
  async migrateEntries(tenantId: string, members: string[]): Promise<void> {
    const old = await this.redis.hmget(oldEntryKey(tenantId), ...members)
    const p = this.redis.pipeline()
    members.forEach(
      (m, i) => old[i] && p.hsetnx(readKey(tenantId, m), packMember(m), encodeEntry(decodeEntry(old[i]))),
    )
    await p.exec()
  }

  /** One page of members: newest first, by balance or email, or matching a search. */
  async page(
    tenantId: string,
    opts: { search?: string; sort: SortOrder; offset: number; limit: number },
  ): Promise<{ total: number; members: string[] }> {
    const { offset, limit } = opts
    if (opts.search) return this.words.search(tenantId, opts.search, offset, limit)
    if (opts.sort === 'recent')
      return this.records.connections.listMembers(tenantId, { offset, count: limit, newestFirst: true })
    if (opts.sort === 'email') {
      const [total, members] = await Promise.all([
        this.records.connections.count(tenantId),
        this.words.byEmail(tenantId, offset, limit),
      ])
      return { total, members }
    }
    const key = balanceKey(tenantId)
    const stop = String(offset + limit - 1)
    const m = this.redis.multi().zcard(key)
    if (opts.sort === 'balance_asc') m.zrange(key, offset, stop)
    else m.zrevrange(key, offset, stop)
    const [[, total], [, members]] = (await m.exec()) as [[null, number], [null, string[]]]
    return { total, members }
  }

  private async guardedBalance(ref: ConnectionRef, json: string, amount: number | undefined): Promise<void> {
    await this.redis.eval(...this.balanceArgs(ref, json, amount))
  }

  private balanceArgs(ref: ConnectionRef, json: string, amount: number | undefined) {
    const member = memberOf(ref)
    const keys = [connectionKey(ref), readKey(ref.tenantId, member), balanceKey(ref.tenantId)]
    // The bucket's field is the packed member; the balance order and old entries use the plain one.
    const args = [packMember(member), json, amount === undefined ? '' : String(amount), member]
    return [RECORD_BALANCE, 4, ...keys, oldEntryKey(ref.tenantId), ...args] as [string, number, ...string[]]
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
          connectedAt: summary.createdAt,
          entry: entries[i]!,
        },
      ]
    })
  }
}
