import autocannon from 'autocannon'

/** One request that may be sent once only (a callback's code, a user's own cookie). */
export interface QueuedRequest {
  path: string
  headers?: Record<string, string>
}

export interface LoadSpec {
  url: string
  connections: number
  /** Bounded by time, by count, or (queue) by the queue's length. */
  durationSec?: number
  amount?: number
  headers?: Record<string, string>
  /** GET unless said; a POST sends `body` with every request. */
  method?: 'GET' | 'POST'
  body?: string
  /** Sent in order, each once, shared by all connections; `amount` becomes its length. */
  queue?: QueuedRequest[]
  /** Judges each response (reads bodies, so costs the generator CPU); default: status 2xx. */
  verify?: (status: number, headers: Record<string, string>, body: string) => boolean
  /** The process under test: its CPU time during the run is recorded (less noisy than req/s). */
  server?: { command<T>(name: string): Promise<T> }
}

export interface LoadResult {
  requests: number
  durationSec: number
  rps: number
  meanMs: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  /** Responses that failed `verify` (or were not 2xx), plus socket errors and timeouts. */
  failures: number
  bytesPerResponse: number
  /** Server CPU time per request, µs, when the spec named the server. */
  cpuUsPerRequest?: number
}

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** What one run measured, before summarising (runs of the same server can be pooled). */
export interface RawRun {
  latencies: number[]
  durationSec: number
  failures: number
  bytes: number
  /** CPU the server process used during the run, µs, when it was asked for (see `server`). */
  cpuMicros?: number
}

/** Pools runs: requests over the summed duration, percentiles over every latency. */
export function summarize(runs: RawRun[]): LoadResult {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b)
  const durationSec = runs.reduce((s, r) => s + r.durationSec, 0)
  const n = latencies.length
  return {
    requests: n,
    durationSec,
    rps: n / durationSec,
    meanMs: latencies.reduce((s, v) => s + v, 0) / (n || 1),
    p50Ms: percentile(latencies, 0.5),
    p90Ms: percentile(latencies, 0.9),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies[n - 1] ?? 0,
    failures: runs.reduce((s, r) => s + r.failures, 0),
    bytesPerResponse: runs.reduce((s, r) => s + r.bytes, 0) / (n || 1),
    cpuUsPerRequest: runs.every((r) => r.cpuMicros !== undefined)
      ? runs.reduce((s, r) => s + r.cpuMicros!, 0) / (n || 1)
      : undefined,
  }
}

/** Requests per second of one run. */
export const rpsOf = (r: RawRun) => r.latencies.length / r.durationSec

/** p50 latency of one run, ms. */
export const p50Of = (r: RawRun) =>
  percentile(
    [...r.latencies].sort((a, b) => a - b),
    0.5,
  )

/** The median (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * Two loads in alternating rounds (base first, then measured first, …), so that other work
 * on the machine falls on both alike; `ratioOf` compares each round's pair.
 */
export async function alternatingRounds(
  spec: { base: LoadSpec; measured: LoadSpec; rounds: number; roundSec: number },
  ratioOf: (measured: RawRun, base: RawRun) => number = (m, b) => rpsOf(m) / rpsOf(b),
): Promise<{ base: RawRun[]; measured: RawRun[]; ratios: number[] }> {
  const out = { base: [] as RawRun[], measured: [] as RawRun[], ratios: [] as number[] }
  for (let i = 0; i < spec.rounds; i++) {
    const order = i % 2 === 0 ? (['base', 'measured'] as const) : (['measured', 'base'] as const)
    for (const name of order) out[name].push(await run({ ...spec[name], durationSec: spec.roundSec }))
    out.ratios.push(ratioOf(out.measured[i]!, out.base[i]!))
  }
  return out
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  return summarize([await run(spec)])
}

/** Runs autocannon in this process against a server in another one; latencies at full resolution. */
export async function run(spec: LoadSpec): Promise<RawRun> {
  const cpu = () => spec.server?.command<number>('cpu')
  const before = await cpu()
  const raw = await generate(spec)
  const after = await cpu()
  return before === undefined || after === undefined ? raw : { ...raw, cpuMicros: after - before }
}

function generate(spec: LoadSpec): Promise<RawRun> {
  const latencies: number[] = []
  let bytes = 0
  let failures = 0
  const queue = spec.queue
  let taken = 0
  const request: autocannon.Request = {
    method: spec.method ?? 'GET',
    headers: spec.headers,
    ...(spec.body !== undefined && { body: spec.body }),
    ...(queue && {
      setupRequest: (req: autocannon.Request) => {
        const next = queue[taken++]
        // autocannon may build one request past the end; it is never sent.
        if (!next) return { ...req, path: '/healthz' }
        return { ...req, path: next.path, headers: { ...spec.headers, ...next.headers } }
      },
    }),
    ...(spec.verify && {
      onResponse: (status: number, body: string, _ctx: object, headers: autocannon.Request['headers']) => {
        const flat = Object.fromEntries(
          Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
        )
        if (!spec.verify!(status, flat, body)) failures++
      },
    }),
  }
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationSec ?? 10,
        amount: queue ? queue.length : spec.amount,
        timeout: 20,
        requests: [request],
      },
      (err: unknown, result: autocannon.Result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)))
        resolve({
          latencies,
          durationSec: (result.finish.getTime() - result.start.getTime()) / 1000,
          failures: failures + result.errors + result.timeouts,
          bytes,
        })
      },
    )
    instance.on('response', (_client, status, resBytes, responseTime) => {
      latencies.push(responseTime)
      bytes += resBytes
      if (!spec.verify && (status < 200 || status > 299)) failures++
    })
  })
}
