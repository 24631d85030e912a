import type { RedisClient } from '../redis/client.js'
import { connectionKey, supportTextBucketsKey, supportTextKey, supportWordsKey } from '../redis/keys.js'
import { AppError } from '../errors/app-error.js'
import { type ConnectionRef } from '../connections/connection-store.js'
import { memberOf } from '../connections/member.js'
import {
  cutToBytes,
  entriesOf,
  MAX_EMAIL_BYTES,
  MAX_WORD_BYTES,
  normaliseText,
  storedText,
} from './search-words.js'
import { EXACT_MAX, ORDERED, REINDEX, SEARCH, SEARCH_KEEP_MS } from './word-scripts.js'
import { packMember, unpackMember } from './packed-member.js'

// Each round of concurrent writers of one member lets at least one through, so this many
// writers at once always finish (a connect and a balance read are two).
const ATTEMPTS = 16

/**
 * The support console's word-prefix search and email order at 100,000 accounts a tenant:
 * each page of results costs the matches it reads, never a pass over the tenant
 * (word-scripts.ts). Every write is one script that checks the member's stored text is
 * still what the caller read, so two re-indexings of one member never leave a mix.
 */
export class WordIndex {
  constructor(
    private readonly redis: RedisClient,
    private readonly exactMax = EXACT_MAX,
  ) {}

  /** Indexes the connection under these words (the first is the email); none removes it. */
  async set(ref: ConnectionRef, words: string[]): Promise<void> {
    const member = packMember(memberOf(ref))
    const text = storedText(words)
    const textKey = supportTextKey(ref.tenantId, member)
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const old = (await this.redis.hget(textKey, member)) ?? ''
      if (old === text) return
      if ((await this.redis.eval(...this.reindex(ref, old, text))) !== -1) return
    }
    throw new AppError('service_unavailable', 'The support index kept changing; try again.', { status: 503 })
  }

  remove(ref: ConnectionRef): Promise<void> {
    return this.set(ref, [])
  }

  /** Indexes connections that were not indexed before, in one pipeline (seeding, backfill). */
  async setMany(items: Array<{ ref: ConnectionRef; words: string[] }>): Promise<void> {
    if (items.length === 0) return
    const p = this.redis.pipeline()
    for (const { ref, words } of items) p.eval(...this.reindex(ref, '', storedText(words)))
    const results = (await p.exec()) ?? []
    // One indexed meanwhile (a connect during a backfill) goes the careful way.
    const raced = items.filter((_, i) => results[i]?.[1] === -1)
    for (const { ref, words } of raced) await this.set(ref, words)
  }

  /** The member's indexed words (the first is the email), or [] when it is not indexed. */
  async words(ref: ConnectionRef): Promise<string[]> {
    const member = packMember(memberOf(ref))
    const text = await this.redis.hget(supportTextKey(ref.tenantId, member), member)
    return text ? text.split('\t') : []
  }

  /** Distinct members with a word starting with `query`, emails first, and how many. */
  async search(
    tenantId: string,
    query: string,
    offset: number,
    limit: number,
  ): Promise<{ total: number; members: string[] }> {
    const whole = normaliseText(query)
    if (!whole) return { total: 0, members: [] }
    const keys = [supportWordsKey(tenantId), supportTextBucketsKey(tenantId)]
    const cuts = [cutToBytes(whole, MAX_EMAIL_BYTES), cutToBytes(whole, MAX_WORD_BYTES)]
    const args = [
      ...cuts,
      whole,
      String(offset),
      String(limit),
      String(this.exactMax),
      String(SEARCH_KEEP_MS),
    ]
    const [total, members] = (await this.redis.eval(SEARCH, 2, ...keys, ...args)) as [number, string[]]
    return { total, members: members.map(unpackMember) }
  }

  /** A page of members in the order of a namespace: e by email, b by balance (balance-scripts.ts). */
  async ordered(tenantId: string, ns: 'e' | 'b', page: { offset: number; limit: number; back?: boolean }) {
    const args = [ns, String(page.offset), String(page.limit), page.back ? '1' : '0']
    const members = (await this.redis.eval(ORDERED, 1, supportWordsKey(tenantId), ...args)) as string[]
    return members.map(unpackMember)
  }

  /** Whether each member of the tenant is in the index. */
  async indexed(tenantId: string, members: string[]): Promise<boolean[]> {
    const p = this.redis.pipeline()
    for (const m of members.map(packMember)) p.hexists(supportTextKey(tenantId, m), m)
    return ((await p.exec()) ?? []).map(([, v]) => v === 1)
  }

  private reindex(ref: ConnectionRef, old: string, text: string): [string, number, ...string[]] {
    const member = packMember(memberOf(ref))
    const keys = [supportWordsKey(ref.tenantId), supportTextKey(ref.tenantId, member), connectionKey(ref)]
    const gone = entriesOf(old)
    return [REINDEX, 3, ...keys, member, old, text, String(gone.length), ...gone, ...entriesOf(text)]
  }
}
