import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { apiRead } from './api-read.js'
import { callback } from './callback.js'
import { dashboardBusy } from './dashboard-busy.js'
import { dashboardCold } from './dashboard-cold.js'
import { dashboardWarm } from './dashboard-warm.js'
import { startContext, type BenchContext } from './lib/context.js'
import type { MemorySnapshot } from './lib/ipc.js'
import { machine, mib, round, table, type BenchOutcome, type Row } from './lib/report.js'
import { memory } from './memory.js'
import { refreshStorm } from './refresh-storm.js'
import { support } from './support.js'
import { sharedSend } from './shared-send.js'
import { tracingCost } from './tracing.js'

/**
 * `npm run bench`: starts the sandbox, Switchboard (panel cache on, and off) and, for the
 * first benchmark, the baseline, each in its own process on loopback; generates load from
 * this process with autocannon; prints the table and writes bench/results.json.
 * `-- --only=warm,storm` runs a subset; `-- --profile` writes CPU profiles of the servers
 * to bench/profiles/.
 */
const BENCHES: Record<string, (ctx: BenchContext, idle: MemorySnapshot) => Promise<BenchOutcome>> = {
  warm: dashboardWarm,
  cold: dashboardCold,
  busy: dashboardBusy,
  callback,
  storm: refreshStorm,
  support,
  memory,
  api: apiRead,
  shared: sharedSend,
  tracing: tracingCost,
}

const { values: args } = parseArgs({
  options: { only: { type: 'string' }, profile: { type: 'boolean', default: false } },
})
const selected = args.only ? args.only.split(',').map((s) => s.trim()) : Object.keys(BENCHES)
for (const name of selected)
  if (!BENCHES[name]) throw new Error(`unknown benchmark ${name}: ${Object.keys(BENCHES).join(', ')}`)

const started = performance.now()
const profileDir = args.profile ? fileURLToPath(new URL('./profiles/', import.meta.url)) : undefined
const ctx = await startContext({ cpuProfDir: profileDir })
let stopping = false
const shutdown = async () => {
  if (stopping) return
  stopping = true
  await ctx.close()
}
process.once('SIGINT', () => void shutdown().finally(() => process.exit(130)))

const rows: Row[] = []
const results: Record<string, unknown> = {}
const rssTrail: string[] = []
let failed = false
try {
  const redisVersion = /redis_version:(\S+)/.exec(await ctx.raw.info('server'))?.[1] ?? 'unknown'
  const idle = await ctx.app.command<MemorySnapshot>('memory')
  for (const name of selected) {
    const t = performance.now()
    console.log(`${name} ...`)
    try {
      const outcome = await BENCHES[name]!(ctx, idle)
      rows.push(...outcome.rows)
      // Where the app's memory grows: its RSS after a full GC at the end of each benchmark.
      const appAfter = await ctx.app.command<MemorySnapshot>('memory')
      results[name] = { seconds: round((performance.now() - t) / 1000), ...outcome.data, appAfter }
      rssTrail.push(`${name} ${mib(appAfter.rss)}`)
    } catch (err) {
      failed = true
      console.error(`${name} failed: ${(err as Error).stack ?? String(err)}`)
      rows.push({ bench: `${name}: FAILED`, figure: (err as Error).message, met: false })
      results[name] = { error: String(err) }
    }
    console.log(`${name} done in ${round((performance.now() - t) / 1000)} s`)
  }
  const totalSec = round((performance.now() - started) / 1000)
  console.log(
    `\n${table(rows)}\n\napp RSS (MiB) at start ${mib(idle.rss)}, after ${rssTrail.join(', ')}\ntotal ${totalSec} s`,
  )
  const out = {
    finishedAt: new Date().toISOString(),
    totalSec,
    machine: machine(redisVersion),
    rows: rows.map((r) => ({
      ...r,
      rps: r.rps && round(r.rps),
      p50: r.p50 && round(r.p50, 2),
      p99: r.p99 && round(r.p99, 2),
    })),
    benchmarks: results,
  }
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`)
  console.log('wrote bench/results.json')
} finally {
  await shutdown()
}
if (profileDir) console.log(`CPU profiles in ${profileDir}`)
process.exit(failed ? 1 : 0)
