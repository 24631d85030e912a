import type { RedisClient } from '../redis/client.js'
import { hgetEach } from '../redis/read-many.js'
import {
  connectionKey,
  supportBalanceKey as balanceKey,
  supportEntriesKey as oldEntryKey,
  supportReadKey as readKey,
  supportWordsKey as wordsKey,
} from '../redis/keys.js'
import { listingVersionKey } from '../redis/tenant-api.js'
import type { UserStore } from '../auth/user-store.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import { type ConnectionRef, type ConnectionStore } from '../connections/connection-store.js'
import { memberOf, refOf } from '../connections/member.js'
import type { ProviderId } from '../providers/types.js'
import { isShared } from '../connections/owner.js'
import type { StatusReason } from '../providers/status.js'
import { WordIndex } from './word-index.js'
import { accountWords } from './account-words.js'
import { decodeEntry, encodeEntry, type BalanceEntry } from './balance-entry.js'
import { packMember } from './packed-member.js'
import { FORGET_READ, RECORD_READ } from './balance-scripts.js'

export type { BalanceEntry } from './balance-entry.js'

export interface SupportRow {
  member: string
  userId: string
  provider: ProviderId
  /** The owner's email, or the organisation's name for a shared connection. */
  email: string
  owner: 'user' | 'organisation'
  /** The connection's status; `error` when connected but its last balance read failed otherwise. */
  status: 'connected' | 'degraded' | 'needs_reconnect' | 'error'
  statusReason?: StatusReason
  accountLabel: string
  /** The owner's name for the connection, when given. */
  name?: string
  connectedAt: number
  entry: BalanceEntry
}

export type SortOrder = 'recent' | 'balance_asc' | 'balance_desc' | 'email'

/**
 * Indexes that keep the support console cheap at 100,000 accounts per tenant: a word index
 * whose pages also hold the email and balance orders (word-index.ts, balance-scripts.ts),
 * and each connection's last balance read in small buckets. Members are `userId:provider`,
 * as in the tenant's connection set kept by ConnectionStore. Every write that adds checks
 * the connection still exists, so a read that ends after a disconnect never brings the
 * account back.
 */
export class SupportIndex {
  readonly words: WordIndex

  constructor(
    private readonly redis: RedisClient,
    private readonly records: {
      connections: ConnectionStore
      users: UserStore
      /** The organisation's name is shown as the owner of its shared connections. */
      tenants?: Pick<TenantStore, 'get'>
    },
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
    await this.redis.eval(...this.readArgs(RECORD_READ, ref, ''))
  }

  /** Indexes a connected or renamed account under its words, its owner's email read afresh. */
  async indexAccount(ref: ConnectionRef, account: { accountLabel: string; name?: string }): Promise<void> {
    const email = await this.ownerWord(ref)
    await this.indexConnection(ref, accountWords({ email, ...account }))
  }

  /**
   * Indexes many connections of one tenant, with their balances, in pipelines: for seeding
   * demo data, where none of them was indexed before.
   */
  async indexMany(items: Array<{ ref: ConnectionRef; words: string[]; entry: BalanceEntry }>): Promise<void> {
    if (items.length === 0) return
    const p = this.redis.pipeline()
    for (const { ref, entry } of items) p.eval(...this.readArgs(RECORD_READ, ref, encodeEntry(entry)))
    p.incr(listingVersionKey(items[0]!.ref.tenantId))
    await Promise.all([p.exec(), this.words.setMany(items)])
  }

  async removeConnection(ref: ConnectionRef): Promise<void> {
    await this.words.remove(ref)
    await this.redis.eval(...this.readArgs(FORGET_READ, ref))
  }

  /**
   * Keeps a provider's read. A company read for the first time (or changed) re-indexes the
   * account's words, so support finds it by its company whichever caller read it.
   */
  async recordRead(ref: ConnectionRef, entry: BalanceEntry): Promise<void> {
    const before = await this.recordBalance(ref, entry)
    if (before === null || decodeEntry(before).company === entry.company) return
    const record = await this.records.connections.get(ref).catch(() => null)
    if (record) await this.indexAccount(ref, { accountLabel: record.grant.accountLabel, name: record.name })
  }

  /**
   * Keeps a read (or its error beside the last balance) while the connection exists, in one
   * round trip; gives the read stored before ('' when none), or null when the connection is gone.
   */
  async recordBalance(ref: ConnectionRef, entry: BalanceEntry): Promise<string | null> {
    const [[failed, before]] = (await this.redis
      .pipeline()
      .eval(...this.readArgs(RECORD_READ, ref, encodeEntry(entry)))
      // After the write, in the same round trip: the API listing shows the last read.
      .incr(listingVersionKey(ref.tenantId))
      .exec()) as [[Error | null, string | null]]
    if (failed) throw failed
    return before
  }

  async entries(tenantId: string, members: string[]): Promise<BalanceEntry[]> {
    if (members.length === 0) return []
    const keys = [...members.map((m) => readKey(tenantId, m)), ...members.map(() => oldEntryKey(tenantId))]
    const found = await hgetEach(this.redis, keys, [...members.map(packMember), ...members])
    const [fresh, old] = [found.slice(0, members.length), found.slice(members.length)]
    return members.map((_, i) => decodeEntry(fresh[i] ?? old[i]))
  }

  /**
   * Moves reads from before the pages (a hash of JSON, a sorted set) into their buckets and
   * the balance order (the backfill). A read stored since wins over the old one.
   */
  async migrateReads(tenantId: string, members: string[]): Promise<void> {
    const entries = await this.entries(tenantId, members)
    const p = this.redis.pipeline()
    members.forEach((m, i) => {
      const read = Object.keys(entries[i]!).length ? encodeEntry(entries[i]!) : ''
      p.eval(...this.readArgs(RECORD_READ, refOf(tenantId, m), read, '1'))
    })
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
    const ns = opts.sort === 'email' ? 'e' : 'b'
    const [total, members] = await Promise.all([
      this.records.connections.count(tenantId),
      this.words.ordered(tenantId, ns, { offset, limit, back: opts.sort === 'balance_desc' }),
    ])
    return { total, members }
  }

  /** A balance script's keys and arguments (balance-scripts.ts) for one connection. */
  private readArgs(script: string, ref: ConnectionRef, ...rest: string[]): [string, number, ...string[]] {
    const member = memberOf(ref)
    const { tenantId } = ref
    const keys = [wordsKey(tenantId), readKey(tenantId, member), balanceKey(tenantId), oldEntryKey(tenantId)]
    return [script, 5, ...keys, connectionKey(ref), packMember(member), rest[0] ?? '', member, rest[1] ?? '']
  }

  /** What finds a connection by its owner: the person's email, or the organisation's name when it is shared. */
  async ownerWord(ref: ConnectionRef): Promise<string> {
    if (isShared(ref)) return this.organisationName(ref.tenantId)
    return (await this.records.users.get(ref.tenantId, ref.userId))?.email ?? ''
  }

  private async organisationName(tenantId: string): Promise<string> {
    return (await this.records.tenants?.get(tenantId))?.name ?? ''
  }

  /** Everything a row shows, for a page of members, read from the stores that own it. */
  async rows(tenantId: string, members: string[]): Promise<SupportRow[]> {
    if (members.length === 0) return []
    const refs = members.map((member) => refOf(tenantId, member))
    const anyShared = refs.some((ref) => isShared(ref))
    const [summaries, emails, entries, organisation] = await Promise.all([
      this.records.connections.summaries(refs),
      this.records.users.emails(
        tenantId,
        refs.map((ref) => ref.userId),
      ),
      this.entries(tenantId, members),
      anyShared ? this.organisationName(tenantId) : '',
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
          email: isShared(ref) ? (organisation ?? '') : (emails[i] ?? '(removed user)'),
          owner: isShared(ref) ? ('organisation' as const) : ('user' as const),
          status: summary.status === 'connected' && entries[i]!.error ? 'error' : summary.status,
          ...(summary.statusReason ? { statusReason: summary.statusReason } : {}),
          accountLabel: summary.accountLabel,
          name: summary.name,
          connectedAt: summary.createdAt,
          entry: entries[i]!,
        },
      ]
    })
  }
}
