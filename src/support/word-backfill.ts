import type { RedisClient } from '../redis/client.js'
import {
  SUPPORT_WORDS_BACKFILLED_KEY,
  supportBalanceKey,
  supportEntriesKey,
  supportSearchKey,
  supportSearchTextKey,
  tenantConnectionsKeyPattern,
  tenantOfConnectionsKey,
} from '../redis/keys.js'
import { scanKeys } from '../redis/scan.js'
import type { UserStore } from '../auth/user-store.js'
import { type ConnectionStore } from '../connections/connection-store.js'
import { refOf } from '../connections/member.js'
import { accountWords } from './account-words.js'
import type { SupportIndex } from './support-index.js'

const BATCH = 500

export interface WordBackfillDeps {
  redis: RedisClient
  index: SupportIndex
  users: UserStore
  connections: ConnectionStore
}

/**
 * Gives an install from before the word index one: every tenant's connections not yet in
 * it are indexed under their email, account name and last read company, balance reads move
 * to their compact buckets and the balance order into the index's pages, then the old search
 * set (a full-scan index), the old reads and the old balance set are deleted. Runs once per deployment (a versioned flag);
 * safe to run twice or beside requests, since indexing a member twice writes the same words
 * and a connect meanwhile indexes its own. Returns how many it indexed, or null when done before.
 */
export async function backfillWordIndexOnce(deps: WordBackfillDeps): Promise<number | null> {
  if (await deps.redis.exists(SUPPORT_WORDS_BACKFILLED_KEY)) return null
  let indexed = 0
  for await (const key of scanKeys(deps.redis, tenantConnectionsKeyPattern())) {
    const tenantId = tenantOfConnectionsKey(key)
    if (tenantId !== null) indexed += await backfillTenant(deps, tenantId)
  }
  await deps.redis.set(SUPPORT_WORDS_BACKFILLED_KEY, String(Date.now()))
  return indexed
}

async function backfillTenant(deps: WordBackfillDeps, tenantId: string): Promise<number> {
  let indexed = 0
  for (let offset = 0; ; offset += BATCH) {
    const { members } = await deps.connections.listMembers(tenantId, { offset, count: BATCH })
    if (members.length === 0) break
    await deps.index.migrateReads(tenantId, members)
    const known = await deps.index.words.indexed(tenantId, members)
    const missing = members.filter((_, i) => !known[i])
    if (missing.length === 0) continue
    const refs = missing.map((m) => refOf(tenantId, m))
    const [summaries, emails, entries] = await Promise.all([
      deps.connections.summaries(refs),
      deps.users.emails(
        tenantId,
        refs.map((r) => r.userId),
      ),
      deps.index.entries(tenantId, missing),
    ])
    const items = refs.flatMap((ref, i) => {
      const label = summaries[i]?.accountLabel
      if (label === undefined) return [] // disconnected meanwhile
      const names = accountWords({ email: emails[i] ?? '', accountLabel: label, name: summaries[i]?.name })
      return [{ ref, words: [...names, entries[i]?.company ?? ''] }]
    })
    await deps.index.words.setMany(items)
    indexed += items.length
  }
  await deps.redis.del(
    supportSearchKey(tenantId),
    supportSearchTextKey(tenantId),
    supportEntriesKey(tenantId),
    supportBalanceKey(tenantId),
  )
  return indexed
}
