import type { BenchContext } from './lib/context.js'
import { load, median, rpsOf, run, summarize, type LoadResult, type RawRun } from './lib/load.js'
import { round, type BenchOutcome } from './lib/report.js'

const CONNECTIONS = 10
const WARMUP_SEC = 2
const ROUNDS = 6
const ROUND_SEC = 3

/**
 * 7. The tenant API's reads: `GET /api/v1/connections/:id` (the connection's kept read,
 * bearer key, no session), the listing `GET /api/v1/connections` (its kept answer, rebuilt
 * when something it shows changes) and MCP's get_balance (a JSON-RPC tools/call, as an
 * agent polls). Each against the same person's warm /dashboard, in alternating rounds so
 * other work on the machine falls on all alike; the figure is the median of the rounds' ratios. The provider's /me calls during
 * the API rounds show what the reads cost upstream (issue 30: one per connection per 30 s,
 * not one per read).
 */
export async function apiRead(ctx: BenchContext): Promise<BenchOutcome> {
  const user = await ctx.dashboardUser()
  const csrf = await user.readCsrf('/admin/api-keys')
  const made = await user.post('/admin/api-keys', { _csrf: csrf, name: 'bench', scopes: ['read'] })
  const key = /id="api-key" name="apiKey" value="([^"]+)"/.exec(made.body)?.[1]
  if (!key) throw new Error(`no API key made (HTTP ${made.status})`)
  const auth = { authorization: `Bearer ${key}` }
  const list = await fetch(`${ctx.app.origin}/api/v1/connections`, { headers: auth })
  const id = ((await list.json()) as { data: Array<{ id: string }> }).data[0]?.id
  if (!id) throw new Error(`no connection listed (HTTP ${list.status})`)

  // An agent's poll: MCP's get_balance (JSON-RPC over Streamable HTTP, a server per request).
  const getBalance = { name: 'get_balance', arguments: { connection_id: id } }
  const targets = {
    dashboard: {
      url: `${ctx.app.origin}/dashboard`,
      connections: CONNECTIONS,
      headers: { cookie: user.cookie },
      server: ctx.app,
    },
    api: {
      url: `${ctx.app.origin}/api/v1/connections/${id}`,
      connections: CONNECTIONS,
      headers: auth,
      server: ctx.app,
    },
    list: {
      url: `${ctx.app.origin}/api/v1/connections`,
      connections: CONNECTIONS,
      headers: auth,
      server: ctx.app,
    },
    mcp: {
      url: `${ctx.app.origin}/mcp`,
      method: 'POST' as const,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: getBalance }),
      connections: CONNECTIONS,
      headers: { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      server: ctx.app,
      // A tool's failure is an HTTP 200 too: only a balance counts.
      verify: (status: number, _h: unknown, body: string) => status === 200 && body.includes('"readAt"'),
    },
  }
  await load({ ...targets.dashboard, durationSec: WARMUP_SEC })
  await load({ ...targets.api, durationSec: WARMUP_SEC })
  const runs: Record<keyof typeof targets, RawRun[]> = { dashboard: [], api: [], list: [], mcp: [] }
  let meCalls = 0
  let apiSec = 0
  const ratios: number[] = []
  const listRatios: number[] = []
  const mcpRatios: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const order =
      i % 2 === 0
        ? (['dashboard', 'api', 'list', 'mcp'] as const)
        : (['mcp', 'list', 'api', 'dashboard'] as const)
    for (const name of order) {
      const before = name === 'api' ? (await ctx.sandboxStats()).sms77.meCalls : 0
      runs[name].push(await run({ ...targets[name], durationSec: ROUND_SEC }))
      if (name === 'api') {
        meCalls += (await ctx.sandboxStats()).sms77.meCalls - before
        apiSec += ROUND_SEC
      }
    }
    // Each round's pair: the machine's slower and quicker moments fall on both alike.
    ratios.push(rpsOf(runs.api[i]!) / rpsOf(runs.dashboard[i]!))
    listRatios.push(rpsOf(runs.list[i]!) / rpsOf(runs.dashboard[i]!))
    mcpRatios.push(rpsOf(runs.mcp[i]!) / rpsOf(runs.dashboard[i]!))
  }
  const dash = summarize(runs.dashboard)
  const apiResult = summarize(runs.api)
  const listResult = summarize(runs.list)
  const mcpResult = summarize(runs.mcp)
  if (dash.failures || apiResult.failures || listResult.failures || mcpResult.failures)
    throw new Error(
      `failures: dashboard ${dash.failures}, api ${apiResult.failures}, list ${listResult.failures}, mcp ${mcpResult.failures}`,
    )
  const ratio = median(ratios)
  const listRatio = median(listRatios)
  const mcpRatio = median(mcpRatios)
  const rounds = (rs: number[]) => `median of ${ROUNDS} rounds: ${rs.map((r) => round(r, 2)).join(' ')}`
  const requests = apiResult.rps * apiSec
  const line = (name: string, r: LoadResult) => ({ bench: name, rps: r.rps, p50: r.p50Ms, p99: r.p99Ms })
  return {
    rows: [
      { ...line('7 api read: dashboard warm', dash), figure: 'same person, cookie' },
      {
        ...line('7 api read: GET /api/v1/connections/:id', apiResult),
        figure: `kept read, ratio to dashboard ${round(ratio, 2)} (${rounds(ratios)}); ${meCalls} provider reads for ~${Math.round(requests)} calls`,
        target: '≥ 1.0×',
        met: ratio >= 1,
      },
      {
        ...line('7 api read: GET /api/v1/connections', listResult),
        figure: `kept listing, ratio to dashboard ${round(listRatio, 2)} (${rounds(listRatios)})`,
        target: '≥ 1.0×',
        met: listRatio >= 1,
      },
      {
        ...line('7 api read: MCP get_balance', mcpResult),
        figure: `kept read through the MCP SDK, ratio to dashboard ${round(mcpRatio, 2)} (${rounds(mcpRatios)})`,
      },
    ],
    data: {
      connections: CONNECTIONS,
      rounds: ROUNDS,
      roundSec: ROUND_SEC,
      dashboard: dash,
      api: apiResult,
      list: listResult,
      mcp: mcpResult,
      ratio,
      ratios,
      listRatio,
      listRatios,
      mcpRatio,
      mcpRatios,
      providerReadsDuringApiRounds: meCalls,
    },
  }
}
