import { setTimeout as sleep } from 'node:timers/promises'
import { pool } from './lib/browser.js'
import type { BenchContext } from './lib/context.js'
import { connectSms77, signUp } from './lib/flows.js'
import { load, type QueuedRequest } from './lib/load.js'
import { round, type BenchOutcome } from './lib/report.js'

const ACCOUNTS = 1000
const PER_ACCOUNT = 10
const CONNECTIONS = 100
const SETUP_PARALLEL = 16
/** Lifetime of the tokens the storm's connections get, seconds; refreshed ones live an hour. */
const SHORT_TTL_SEC = 5

/**
 * 4. 1,000 connections whose access tokens have all expired (issued for 5 s, so the app
 * knows from expiresAt, and expired at the sandbox too), 10 requests for each connection's
 * dashboard queued back to back so they are in flight together: exactly one refresh per
 * connection must reach the sandbox and no page may show an error. Served by the instance
 * without panel cache, so every request goes through the token.
 */
export async function refreshStorm(ctx: BenchContext): Promise<BenchOutcome> {
  const setupStarted = performance.now()
  await ctx.control({ accessTokenTtlSec: SHORT_TTL_SEC })
  let users
  try {
    users = await pool(
      Array.from({ length: ACCOUNTS }, (_, i) => i),
      SETUP_PARALLEL,
      async () => {
        const b = await signUp(ctx.app.origin, 'storm')
        await connectSms77(b, ['balance'])
        return b
      },
    )
  } finally {
    await ctx.control({ accessTokenTtlSec: 3600 })
  }
  const setupSec = (performance.now() - setupStarted) / 1000
  // Past every token's due time (half its lifetime, as the app counts short tokens), then expired at the provider.
  await sleep(SHORT_TTL_SEC * 1000)
  await ctx.control({ action: 'expire_sms77_access_tokens' })

  const queue: QueuedRequest[] = users.flatMap((u) =>
    Array.from({ length: PER_ACCOUNT }, () => ({ path: '/dashboard', headers: { cookie: u.cookie } })),
  )
  const before = (await ctx.sandboxStats()).sms77
  const result = await load({
    url: ctx.cold.origin + '/dashboard',
    connections: CONNECTIONS,
    queue,
    server: ctx.cold,
    verify: (status, _h, body) => status === 200 && !/role="alert"|class="badge (warn|bad)"/.test(body),
  })
  const after = (await ctx.sandboxStats()).sms77
  const refreshes = after.refreshes - before.refreshes
  const refreshFailures = after.refreshFailures - before.refreshFailures
  const met = refreshes === ACCOUNTS && refreshFailures === 0 && result.failures === 0
  return {
    rows: [
      {
        bench: '4 refresh storm (1,000 x 10)',
        rps: result.rps,
        p50: result.p50Ms,
        p99: result.p99Ms,
        figure: `drained in ${round(result.durationSec)} s, ${refreshes} refreshes, ${result.failures} errors`,
        target: '1000 refreshes, 0 errors',
        met,
      },
    ],
    data: {
      accounts: ACCOUNTS,
      requestsPerAccount: PER_ACCOUNT,
      connections: CONNECTIONS,
      setupSec,
      drainSec: result.durationSec,
      refreshes,
      refreshFailures,
      errors: result.failures,
      result,
    },
  }
}
