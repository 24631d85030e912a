import { ConnectionStore } from '../src/connections/connection-store.js'
import type { SandboxStats } from '../src/sandbox/types.js'
import type { PhaseMedians } from './lib/phases.js'
import { meanOf, type TimingTotals } from './lib/timings.js'
import type { BenchContext } from './lib/context.js'
import { load, percentile, run, summarize, type RawRun } from './lib/load.js'
import { round, type BenchOutcome } from './lib/report.js'

const LATENCY_MS = 20
const CONNECTIONS = 1
const ROUNDS = 6
const ROUND_SEC = 2
const WARMUP_SEC = 4

/**
 * 2. The dashboard with the panel cache off and every sandbox API answer 20 ms late: with
 * the profile and six more panels loaded in parallel the page should cost about one upstream
 * round trip. The round trip itself (GET /me with the user's token, straight at the
 * sandbox) is measured in the same run, at the same concurrency, in alternating rounds
 * (so other work on the machine falls on both alike); the figure judged is the median of
 * the rounds' p50 ratios.
 */
export async function dashboardCold(ctx: BenchContext): Promise<BenchOutcome> {
  const user = await ctx.dashboardUser()
  const userKey = await ctx.redis.get(`email:${user.email}`)
  const [tenantId = '', userId = ''] = (userKey ?? '').split(':')
  const record = await new ConnectionStore(ctx.redis, ctx.cipher).get({ tenantId, userId, provider: 'sms77' })
  if (!record) throw new Error('the dashboard user has no sms77 connection')
  const me = `${ctx.env.SMS77_OAUTH_URL}/me`
  const bearer = { authorization: `Bearer ${record.grant.secrets.accessToken}`, accept: 'application/json' }

  await ctx.control({ faults: { apiLatencyMs: LATENCY_MS } })
  try {
    await load({
      url: ctx.cold.origin + '/dashboard',
      connections: CONNECTIONS,
      durationSec: WARMUP_SEC,
      headers: { cookie: user.cookie },
    })
    const target = {
      upstream: { url: me, connections: CONNECTIONS, headers: bearer },
      page: {
        url: ctx.cold.origin + '/dashboard',
        connections: CONNECTIONS,
        headers: { cookie: user.cookie },
        server: ctx.cold,
        verify: (status: number, _h: unknown, body: string) =>
          status === 200 && !body.includes('role="alert"'),
      },
    }
    const before = upstreamCalls(await ctx.sandboxStats())
    await ctx.cold.command('upstream')
    await ctx.cold.command('phases')
    await ctx.sandbox.command('served')
    const runs: Record<keyof typeof target, RawRun[]> = { upstream: [], page: [] }
    const roundRatios: number[] = []
    const p50 = (r: RawRun) =>
      percentile(
        [...r.latencies].sort((a, b) => a - b),
        0.5,
      )
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? (['upstream', 'page'] as const) : (['page', 'upstream'] as const)
      for (const name of order) runs[name].push(await run({ ...target[name], durationSec: ROUND_SEC }))
      roundRatios.push(p50(runs.page[i]!) / p50(runs.upstream[i]!))
    }
    const upstream = summarize(runs.upstream)
    const page = summarize(runs.page)
    // The direct GET /me rounds are sandbox calls too.
    const callsPerPage =
      (upstreamCalls(await ctx.sandboxStats()) - before - upstream.requests) / page.requests
    // Per endpoint: how long the app waited for it, and how long the sandbox took to answer.
    const waited = await ctx.cold.command<Record<string, TimingTotals>>('upstream')
    const served = await ctx.sandbox.command<Record<string, TimingTotals>>('served')
    const phases = await ctx.cold.command<PhaseMedians>('phases')
    const endpoints = Object.fromEntries(
      Object.entries(waited).map(([path, t]) => [
        path.replace(/^.*\/sms77\//, ''),
        { waitedMs: round(t.totalMs / t.count, 2), servedMs: round(meanOf(served, path).meanMs, 2) },
      ]),
    )
    if (upstream.failures || page.failures)
      throw new Error(`failures: /me ${upstream.failures}, dashboard ${page.failures}`)
    const sorted = [...roundRatios].sort((a, b) => a - b)
    const ratio = (sorted[(ROUNDS >> 1) - 1]! + sorted[ROUNDS >> 1]!) / 2
    return {
      rows: [
        {
          bench: `2 upstream GET /me (+${LATENCY_MS} ms)`,
          rps: upstream.rps,
          p50: upstream.p50Ms,
          p99: upstream.p99Ms,
        },
        {
          bench: '2 dashboard cold',
          rps: page.rps,
          p50: page.p50Ms,
          p99: page.p99Ms,
          figure: `${round(callsPerPage, 1)} calls/page, ratio ${round(ratio, 2)} (median of ${ROUNDS} rounds: ${roundRatios.map((r) => round(r, 2)).join(' ')}; pooled ${round(page.p50Ms / upstream.p50Ms, 2)}); app ${round(phases.beforeCallsMs + phases.afterCallsMs)} ms + slowest call ${round(phases.slowestCallMs)} ms`,
          target: 'ratio <= 1.5',
          met: ratio <= 1.5,
        },
      ],
      data: {
        apiLatencyMs: LATENCY_MS,
        connections: CONNECTIONS,
        rounds: ROUNDS,
        roundSec: ROUND_SEC,
        roundRatios: roundRatios.map((r) => round(r, 3)),
        upstream,
        dashboard: page,
        ratio,
        callsPerPage,
        endpoints,
        phases,
      },
    }
  } finally {
    await ctx.control({ faults: { apiLatencyMs: 0 } })
  }
}

function upstreamCalls(s: SandboxStats): number {
  return s.sms77.meCalls + Object.values(s.sms77.apiCalls).reduce((a, b) => a + b, 0)
}
