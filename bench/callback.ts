import { pool } from './lib/browser.js'
import type { BenchContext } from './lib/context.js'
import { prepareCallback, signUp } from './lib/flows.js'
import { load, type QueuedRequest } from './lib/load.js'
import { round, type BenchOutcome } from './lib/report.js'
import { meanOf, type TimingTotals } from './lib/timings.js'

const USERS = 20
const FLOWS_PER_USER = 20
const CONNECTIONS = 10

/**
 * 3. /oauth_redirect throughput. Each callback can be used once, so 400 flows are prepared
 * first (connect, then Allow on the consent page), then replayed round-robin over 20
 * users' sessions with 10 at a time. The app's own timer of its provider calls tells how
 * much of a callback is spent waiting on /token and /me.
 */
export async function callback(ctx: BenchContext): Promise<BenchOutcome> {
  const users = await pool(
    Array.from({ length: USERS }, (_, i) => i),
    8,
    () => signUp(ctx.app.origin, 'cb'),
  )
  const byUser = await pool(users, 8, async (u) => {
    const paths: string[] = []
    for (let i = 0; i < FLOWS_PER_USER; i++) paths.push(await prepareCallback(u, ['balance', 'analytics']))
    return paths.map((path): QueuedRequest => ({ path, headers: { cookie: u.cookie } }))
  })
  // Round-robin, so the requests in flight at once belong to different sessions.
  const queue = Array.from({ length: FLOWS_PER_USER }, (_, i) => byUser.map((list) => list[i]!)).flat()

  await ctx.app.command('upstream')
  await ctx.sandbox.command('served')
  const before = await ctx.sandboxStats()
  const result = await load({
    url: ctx.app.origin + '/oauth_redirect',
    connections: CONNECTIONS,
    queue,
    server: ctx.app,
    verify: (status, headers) => status === 303 && headers.location === '/dashboard',
  })
  const after = await ctx.sandboxStats()
  const waited = await ctx.app.command<Record<string, TimingTotals>>('upstream')
  const served = await ctx.sandbox.command<Record<string, TimingTotals>>('served')
  if (result.failures) throw new Error(`${result.failures} of ${queue.length} callbacks failed`)
  const exchanges = after.sms77.codeExchanges - before.sms77.codeExchanges
  if (exchanges !== queue.length) throw new Error(`${exchanges} code exchanges for ${queue.length} callbacks`)

  const token = meanOf(waited, '/token')
  const me = meanOf(waited, '/me')
  const waitMs = (token.totalMs + me.totalMs) / result.requests
  const sandboxShare = waitMs / result.meanMs
  const sandboxServeMs = (meanOf(served, '/token').totalMs + meanOf(served, '/me').totalMs) / result.requests
  return {
    rows: [
      {
        bench: '3 callback /oauth_redirect',
        rps: result.rps,
        p50: result.p50Ms,
        p99: result.p99Ms,
        figure: `app ${Math.round((1 - sandboxShare) * 100)}% / sandbox ${Math.round(sandboxShare * 100)}% of ${round(result.meanMs)} ms`,
      },
    ],
    data: {
      flows: queue.length,
      connections: CONNECTIONS,
      result,
      meanCallbackMs: result.meanMs,
      waitOnTokenMs: token.meanMs,
      waitOnMeMs: me.meanMs,
      waitPerCallbackMs: waitMs,
      sandboxServeMsPerCallback: sandboxServeMs,
      sandboxShare,
      appShare: 1 - sandboxShare,
    },
  }
}
