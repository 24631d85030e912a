import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { pool } from './lib/browser.js'
import { startChild } from './lib/children.js'
import type { BenchContext } from './lib/context.js'
import { connectSms77, signUp } from './lib/flows.js'
import { alternatingRounds, load, median, summarize } from './lib/load.js'
import { round, type BenchOutcome } from './lib/report.js'

const CONNECTIONS = 8
const WARMUP_SEC = 3
const ROUNDS = 5
const ROUND_SEC = 4
/** The bare stack's page: "a small page" (issue 30), not one padded to the dashboard's size. */
const BARE_BYTES = 3_000
/** Connections the busy instance keeps alive, each checked every KEEPALIVE_SEC. */
const KEPT_ALIVE = 40
const KEEPALIVE_SEC = 2
/** Test events sent to a receiver that always answers 500: each is retried from 2 s on. */
const FAILING_EVENTS = 150

/**
 * 10. The warm dashboard under background work, against the bare stack rendering a small
 * page (issue 30): Express + express-session on connect-redis + one EJS page of ~3 kB from a
 * 30 s Redis cache. A fourth app instance runs the jobs as main.ts does: keep-alive every 2 s
 * over 40 more connections (for sms77 a keep-alive is a token refresh, so the measured
 * person's own page is rebuilt as often) and 150 webhook deliveries failing and retrying (a
 * receiver on loopback that answers 500), while both are measured in alternating rounds. The
 * figure is the median of the rounds' ratios; the work the jobs did meanwhile is stated.
 */
export async function dashboardBusy(ctx: BenchContext): Promise<BenchOutcome> {
  let deliveries = 0
  const receiver = http.createServer((req, res) => {
    deliveries++
    req.resume()
    res.writeHead(500).end()
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`
  const busyEnv = {
    BENCH_JOBS: '1',
    CONNECTION_KEEPALIVE_SECONDS: String(KEEPALIVE_SEC),
    WEBHOOK_ALLOW_PRIVATE: '1',
  }
  const [bare, busy] = await Promise.all([
    startChild('bare', 'baseline.ts', {
      env: { ...ctx.env, BASELINE_BYTES: String(BARE_BYTES) },
      cpuProfDir: ctx.cpuProfDir,
    }),
    startChild('app-busy', 'app.ts', {
      env: { ...ctx.env, BENCH_PANEL_TTL: '30', ...busyEnv },
      cpuProfDir: ctx.cpuProfDir,
    }),
  ])
  try {
    const user = await ctx.dashboardUser()
    await backgroundWork(busy.origin, hookUrl)
    const visitor = await signedInBaseline(bare.origin)
    const targets = {
      bare: {
        url: bare.origin + '/page',
        connections: CONNECTIONS,
        headers: { cookie: visitor },
        server: bare,
      },
      switchboard: {
        url: busy.origin + '/dashboard',
        connections: CONNECTIONS,
        headers: { cookie: user.cookie },
        server: busy,
        verify: (status: number, _h: unknown, body: string) =>
          status === 200 && !body.includes('role="alert"'),
      },
    }
    await load({ ...targets.bare, durationSec: WARMUP_SEC })
    await load({ ...targets.switchboard, durationSec: WARMUP_SEC })
    const [checksBefore, deliveriesBefore] = [(await ctx.sandboxStats()).sms77.refreshes, deliveries]
    const rounds = await alternatingRounds({
      base: targets.bare,
      measured: targets.switchboard,
      rounds: ROUNDS,
      roundSec: ROUND_SEC,
    })
    const roundRatios = rounds.ratios
    const seconds = ROUNDS * 2 * ROUND_SEC
    const checks = ((await ctx.sandboxStats()).sms77.refreshes - checksBefore) / seconds
    const attempts = (deliveries - deliveriesBefore) / seconds
    const base = summarize(rounds.base)
    const app = summarize(rounds.measured)
    if (base.failures || app.failures) throw new Error(`failures: bare ${base.failures}, app ${app.failures}`)
    const ratio = median(roundRatios)
    const cpuRatio = (base.cpuUsPerRequest ?? 0) / (app.cpuUsPerRequest ?? 1)
    const background = `${round(checks, 1)} keep-alive refreshes/s, ${round(attempts, 1)} failing webhook deliveries/s`
    return {
      rows: [
        { bench: '10 busy: bare stack, 3 kB page', rps: base.rps, p50: base.p50Ms, p99: base.p99Ms },
        {
          bench: '10 busy: dashboard warm, jobs running',
          rps: app.rps,
          p50: app.p50Ms,
          p99: app.p99Ms,
          figure:
            `ratio ${round(ratio, 2)} (median of ${ROUNDS} rounds: ${roundRatios.map((r) => round(r, 2)).join(' ')}; ` +
            `CPU/req ${round(cpuRatio, 2)}); background ${background}`,
          target: 'ratio >= 1.0',
          met: ratio >= 1.0,
        },
      ],
      data: {
        bareBytes: BARE_BYTES,
        bare: base,
        switchboard: app,
        ratio,
        cpuRatio,
        roundRatios,
        checks,
        attempts,
      },
    }
  } finally {
    await Promise.all([bare.stop(), busy.stop()])
    receiver.close()
    receiver.closeAllConnections()
  }
}

/** More connections to keep alive, and an organisation whose webhook always fails. */
async function backgroundWork(origin: string, hookUrl: string): Promise<void> {
  await pool(
    Array.from({ length: KEPT_ALIVE }, (_, i) => i),
    8,
    async () => connectSms77(await signUp(origin, 'alive'), ['balance']),
  )
  const admin = await signUp(origin, 'hooks')
  await admin.readCsrf('/admin/credentials')
  const set = await admin.post('/admin/webhook', { _csrf: admin.csrf, url: hookUrl, secret: '' })
  if (set.status !== 200) throw new Error(`the webhook was not set (HTTP ${set.status})`)
  await admin.readCsrf('/admin/credentials')
  for (let i = 0; i < FAILING_EVENTS; i++) {
    const sent = await admin.post('/admin/webhook/test', { _csrf: admin.csrf })
    if (sent.status !== 303) throw new Error(`a test event was not sent (HTTP ${sent.status})`)
  }
}

async function signedInBaseline(origin: string): Promise<string> {
  const res = await fetch(`${origin}/login`, { redirect: 'manual' })
  const cookie = res.headers.get('set-cookie')?.split(';')[0]
  if (res.status !== 303 || !cookie) throw new Error('the bare stack did not sign in')
  return cookie
}
