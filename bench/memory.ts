import { Browser } from './lib/browser.js'
import type { BenchContext } from './lib/context.js'
import type { MemorySnapshot } from './lib/ipc.js'
import { summarizeHeap } from './lib/heap-summary.js'
import { load } from './lib/load.js'
import { countKeys, memoryOf, scanKeys } from './lib/redis.js'
import { rmSync } from 'node:fs'
import type { Redis } from 'ioredis'
import { mib, round, type BenchOutcome } from './lib/report.js'
import { SEEDED_ACCOUNTS, seededTenant } from './support.js'

const SESSIONS = 10_000
const SAMPLE = 200
/** Issue 13: Redis per connected account without balance history. */
const TARGET_BYTES_PER_ACCOUNT = 2048

/** A key's kind: its name after the tenant's tag, ids and page numbers replaced. */
function kindOf(key: string, tenantPrefix: string): string {
  return key
    .slice(tenantPrefix.length)
    .replace(/[0-9a-f]{24}/g, 'ID')
    .replace(/^support:(text|read):.+$/, 'support:$1:XX')
    .replace(/:\d+$/, ':N')
}

/** Bytes per account of each kind of key, largest first. */
async function byKind(raw: Redis, keys: string[], tenantPrefix: string): Promise<Record<string, number>> {
  const groups = new Map<string, string[]>()
  for (const k of keys) {
    const kind = kindOf(k, tenantPrefix)
    const list = groups.get(kind)
    if (list) list.push(k)
    else groups.set(kind, [k])
  }
  const out: Array<[string, number]> = []
  for (const [kind, ks] of groups) out.push([kind, round((await memoryOf(raw, ks)) / SEEDED_ACCOUNTS, 1)])
  return Object.fromEntries(out.sort((a, b) => b[1] - a[1]))
}

/**
 * 6. Memory. The app keeps sessions and tokens in Redis, so its RSS should not grow with
 * them: RSS (after a full GC) of the cached instance at start, before this benchmark (after
 * all the others, a thousand argon2 sign-ups among them), and after 10,000 new sessions
 * (cookie-less GET /login, each writing its CSRF token to a new session) on top of the
 * 100,000 seeded connections, all streamed once through the CSV export. Redis: exact
 * MEMORY USAGE of the seeded tenant's keys (users, connections, support indexes; not its
 * audit log) and its users' email keys per account, in all and by kind of key.
 */
export async function memory(ctx: BenchContext, idle: MemorySnapshot): Promise<BenchOutcome> {
  const { tenantId, cookie } = ctx.seeded ?? (await seededTenant(ctx))
  const t = `${ctx.prefix}t:{${tenantId}}:`
  const before = await ctx.app.command<MemorySnapshot>('memory')
  const sessionsBefore = await countKeys(ctx.raw, `${ctx.prefix}sess:*`)
  const r = await load({ url: ctx.app.origin + '/login', connections: 10, amount: SESSIONS })
  if (r.failures) throw new Error(`${r.failures} of ${SESSIONS} GET /login failed`)
  const sessionKeys = await scanKeys(ctx.raw, `${ctx.prefix}sess:*`)
  const made = sessionKeys.length - sessionsBefore
  // Stream every account through the app once (CSV export reads the tenant in batches).
  const csv = await new Browser(ctx.app.origin, cookie).get('/support/export.csv')
  const exported = csv.body.split('\n').filter(Boolean).length - 1
  if (csv.status !== 200 || exported < SEEDED_ACCOUNTS) throw new Error(`the CSV export had ${exported} rows`)
  const after = await ctx.app.command<MemorySnapshot>('memory')
  // What the V8 heap holds at the end, by kind (taken last: writing it costs memory itself).
  const snapshotFile = await ctx.app.command<string>('heapSnapshot')
  const heap = summarizeHeap(snapshotFile)
  rmSync(snapshotFile, { force: true })
  const outsideHeap = (after.rssAnon ?? after.rss) - after.heapTotal

  // Everything the tenant stores for its accounts (the admin's own keys are noise here).
  const audit = `${t}audit`
  // A search's matches, kept 30 s for its next pages: load, not storage (the support
  // benchmark just asked hundreds of queries), so counted apart.
  const searches = `${t}support:words:q:`
  // Balance history is counted apart too: the target is per account without it (its own
  // figures, per connection-year, are below the table in docs/BENCHMARKS.md).
  const history = `${t}balance-history:`
  const allKeys = await scanKeys(ctx.raw, `${t}*`)
  const tenantKeys = allKeys.filter((k) => k !== audit && !k.startsWith(searches) && !k.startsWith(history))
  const searchKeys = allKeys.filter((k) => k.startsWith(searches))
  const historyKeys = allKeys.filter((k) => k.startsWith(history))
  const historyBytes = await memoryOf(ctx.raw, historyKeys)
  const searchBytes = await memoryOf(ctx.raw, searchKeys)
  const auditBytes = await memoryOf(ctx.raw, [audit])
  const emailKeys = await scanKeys(ctx.raw, `${ctx.prefix}email:demo-*@${tenantId}.demo`)
  const tenantBytes = (await memoryOf(ctx.raw, tenantKeys)) + (await memoryOf(ctx.raw, emailKeys))
  const kinds = {
    ...(await byKind(ctx.raw, tenantKeys, t)),
    email: round((await memoryOf(ctx.raw, emailKeys)) / SEEDED_ACCOUNTS, 1),
  }
  const connKeys = tenantKeys.filter((k) => k.startsWith(`${t}conn:`)).slice(0, SAMPLE)
  const userKeys = tenantKeys.filter((k) => k.startsWith(`${t}user:`)).slice(0, SAMPLE)
  const perConnHash = (await memoryOf(ctx.raw, connKeys)) / connKeys.length
  const perUserHash = (await memoryOf(ctx.raw, userKeys)) / userKeys.length
  const perAccount = tenantBytes / SEEDED_ACCOUNTS
  const perSession =
    (await memoryOf(ctx.raw, sessionKeys.slice(-SAMPLE))) / Math.min(SAMPLE, sessionKeys.length)
  const info = await ctx.raw.info('memory')
  const usedMemory = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0)

  return {
    rows: [
      {
        bench: '6 memory: app RSS',
        figure: `${mib(after.rss)} MiB after ${made} sessions + ${SEEDED_ACCOUNTS} connections (${mib(before.rss)} before, ${mib(idle.rss)} at start); heap ${mib(after.heapUsed)} MiB used of ${mib(after.heapTotal)}, ${mib(outsideHeap)} MiB anonymous outside it`,
      },
      {
        bench: '6 memory: V8 heap by kind',
        figure: heap.kinds
          .slice(0, 5)
          .map((k) => `${k.kind} ${mib(k.bytes)} MiB`)
          .join(', '),
      },
      {
        bench: '6 memory: Redis',
        figure: `${round(perAccount / 1024, 2)} KiB per connected account (connection hash ${Math.round(perConnHash)} B, user hash ${Math.round(perUserHash)} B), ${Math.round(perSession)} B per session; ${searchKeys.length} kept searches ${Math.round(searchBytes / 1024)} KiB; balance history ${Math.round(historyBytes / SEEDED_ACCOUNTS)} B per account`,
        target: '< 2 KiB per account',
        met: perAccount < TARGET_BYTES_PER_ACCOUNT,
      },
    ],
    data: {
      sessionsCreated: made,
      loginRequests: r,
      appAtStart: idle,
      appBefore: before,
      appAfter: after,
      appOutsideHeapBytes: outsideHeap,
      heap: { totalBytes: heap.totalBytes, kinds: heap.kinds },
      redis: {
        tenantBytes,
        auditLogBytes: auditBytes,
        keptSearches: { keys: searchKeys.length, bytes: searchBytes },
        balanceHistory: { keys: historyKeys.length, bytes: historyBytes },
        bytesPerAccount: perAccount,
        bytesPerAccountByKind: kinds,
        connectionHashBytes: perConnHash,
        userHashBytes: perUserHash,
        sessionBytes: perSession,
        serverUsedMemory: usedMemory,
      },
    },
  }
}
