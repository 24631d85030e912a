import { Browser } from './lib/browser.js'
import { startChild } from './lib/children.js'
import type { BenchContext } from './lib/context.js'
import { alternatingRounds, load, median, summarize, type LoadResult } from './lib/load.js'
import { round, type BenchOutcome } from './lib/report.js'

const CONNECTIONS = 8
const WARMUP_SEC = 3
const ROUNDS = 5
const ROUND_SEC = 4

/**
 * 1. A connected user's /dashboard with the panel cache warm, against the floor of the
 * stack (Express 5 + express-session on connect-redis + one EJS page of the same size from
 * a 30 s Redis cache), 8 keep-alive connections each. Both are measured in alternating 4 s
 * rounds (baseline first, then Switchboard first, ...) so that noise from other work on the
 * machine falls on both alike. The figure judged is the median of the rounds' ratios (one
 * noisy round cannot carry it); the pooled ratio is printed beside it.
 */
export async function dashboardWarm(ctx: BenchContext): Promise<BenchOutcome> {
  const user = await ctx.dashboardUser()
  const page = await user.get('/dashboard')
  if (page.status !== 200 || page.body.includes('role="alert"'))
    throw new Error(`the dashboard is not healthy before the benchmark (HTTP ${page.status})`)
  const bytes = Buffer.byteLength(page.body)

  const baseline = await startChild('baseline', 'baseline.ts', {
    env: { ...ctx.env, BASELINE_BYTES: String(bytes) },
    cpuProfDir: ctx.cpuProfDir,
  })
  try {
    const visitor = new Browser(baseline.origin)
    const login = await visitor.get('/login')
    const basePage = await visitor.get('/page')
    if (login.status !== 303 || basePage.status !== 200) throw new Error('the baseline did not sign in')
    const baseBytes = Buffer.byteLength(basePage.body)

    const targets = {
      baseline: {
        url: baseline.origin + '/page',
        connections: CONNECTIONS,
        headers: { cookie: visitor.cookie },
        server: baseline,
      },
      switchboard: {
        url: ctx.app.origin + '/dashboard',
        connections: CONNECTIONS,
        headers: { cookie: user.cookie },
        server: ctx.app,
      },
    }
    await load({ ...targets.baseline, durationSec: WARMUP_SEC })
    await load({ ...targets.switchboard, durationSec: WARMUP_SEC })
    const rounds = await alternatingRounds({
      base: targets.baseline,
      measured: targets.switchboard,
      rounds: ROUNDS,
      roundSec: ROUND_SEC,
    })
    const roundRatios = rounds.ratios
    const base = summarize(rounds.base)
    const app = summarize(rounds.measured)
    if (base.failures || app.failures)
      throw new Error(`failures: baseline ${base.failures}, app ${app.failures}`)

    const pooledRatio = app.rps / base.rps
    const ratio = median(roundRatios)
    // The same comparison by server CPU time per request: less sensitive to other load on the machine.
    const cpuRatio = (base.cpuUsPerRequest ?? 0) / (app.cpuUsPerRequest ?? 1)
    const line = (name: string, r: LoadResult) => ({ bench: name, rps: r.rps, p50: r.p50Ms, p99: r.p99Ms })
    return {
      rows: [
        { ...line('1 dashboard warm: baseline', base), figure: `${baseBytes} B page` },
        {
          ...line('1 dashboard warm: switchboard', app),
          figure:
            `${bytes} B page, ratio ${round(ratio, 2)} (median of ${ROUNDS} rounds: ` +
            `${roundRatios.map((r) => round(r, 2)).join(' ')}; pooled ${round(pooledRatio, 2)}, ` +
            `CPU/req ${round(cpuRatio, 2)})`,
          target: 'ratio >= 0.8',
          met: ratio >= 0.8,
        },
      ],
      data: {
        connections: CONNECTIONS,
        rounds: ROUNDS,
        roundSec: ROUND_SEC,
        pageBytes: bytes,
        baselineBytes: baseBytes,
        baseline: base,
        switchboard: app,
        ratio,
        pooledRatio,
        cpuRatio,
        roundRatios: roundRatios.map((r) => round(r, 3)),
      },
    }
  } finally {
    await baseline.stop()
  }
}
