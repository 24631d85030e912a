import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { startChild } from './lib/children.js'
import type { BenchContext } from './lib/context.js'
import { alternatingRounds, load, median, summarize } from './lib/load.js'
import { round, type BenchOutcome } from './lib/report.js'

const CONNECTIONS = 8
const WARMUP_SEC = 3
const ROUNDS = 5
const ROUND_SEC = 4

/**
 * 8. What tracing costs on the warm /dashboard: the app as in bench 1 (tracing off: no
 * OTEL_EXPORTER_OTLP_ENDPOINT, nothing of OpenTelemetry loaded) against the same app with
 * tracing on, exporting OTLP/HTTP protobuf to a collector on loopback that takes and drops
 * every batch. Same Redis, user and session; alternating 4 s rounds, median of the ratios.
 */
export async function tracingCost(ctx: BenchContext): Promise<BenchOutcome> {
  let batches = 0
  let bytes = 0
  const collector = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => (bytes += c.length))
    req.on('end', () => {
      batches++
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
    })
  })
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`
  const traced = await startChild('app-traced', 'app.ts', {
    env: { ...ctx.env, BENCH_PANEL_TTL: '30', OTEL_EXPORTER_OTLP_ENDPOINT: endpoint },
    cpuProfDir: ctx.cpuProfDir,
    // Loading the SDK adds a few seconds to the start; on a busy machine, more.
    readyTimeoutMs: 90_000,
  })
  try {
    const user = await ctx.dashboardUser()
    const targets = {
      off: { url: ctx.app.origin + '/dashboard', connections: CONNECTIONS, headers: { cookie: user.cookie } },
      on: { url: traced.origin + '/dashboard', connections: CONNECTIONS, headers: { cookie: user.cookie } },
    }
    const first = await fetch(targets.on.url, { headers: targets.on.headers, redirect: 'manual' })
    if (first.status !== 200) throw new Error(`the traced app answered ${first.status}`)
    await load({ ...targets.off, durationSec: WARMUP_SEC })
    await load({ ...targets.on, durationSec: WARMUP_SEC })
    const rounds = await alternatingRounds({
      base: targets.off,
      measured: targets.on,
      rounds: ROUNDS,
      roundSec: ROUND_SEC,
    })
    const ratios = rounds.ratios
    const off = summarize(rounds.base)
    const on = summarize(rounds.measured)
    if (off.failures || on.failures) throw new Error(`failures: off ${off.failures}, on ${on.failures}`)
    const ratio = median(ratios)
    if (batches === 0) throw new Error('the traced app exported nothing')
    return {
      rows: [
        { bench: '8 dashboard warm: tracing off', rps: off.rps, p50: off.p50Ms, p99: off.p99Ms },
        {
          bench: '8 dashboard warm: tracing on',
          rps: on.rps,
          p50: on.p50Ms,
          p99: on.p99Ms,
          figure:
            `on/off ${round(ratio, 2)} (median of ${ROUNDS} rounds: ${ratios.map((r) => round(r, 2)).join(' ')}), ` +
            `${batches} OTLP batches, ${round(bytes / 1024)} KiB`,
          target: 'stated (no target)',
          met: true,
        },
      ],
      data: { off, on, ratio, ratios, batches, bytes },
    }
  } finally {
    await traced.stop()
    await new Promise((resolve) => collector.close(resolve))
  }
}
