import { createHash, timingSafeEqual } from 'node:crypto'
import { Router, type RequestHandler } from 'express'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { statusMove, type ConnectionEvents } from '../connections/events.js'
import type { JobObserver } from '../jobs/runtime.js'
import { routeOf } from '../http/route-of.js'
import { providerEndpoint } from '../providers/http.js'

export { routeOf, providerEndpoint }

/**
 * Prometheus metrics for one app instance. Each call makes its own Registry (never the
 * global one), so several apps in one test process never clash over metric names.
 * Every label is bounded: routes are Express patterns, never raw URLs.
 */
export interface Metrics {
  registry: Registry
  /** Times every request; mount it first, before anything can answer. */
  httpMetrics: RequestHandler
  /** Plug into the connection lifecycle (AppDeps.events) to count refreshes and lock waits. */
  events: ConnectionEvents
  /** Plug into the job runtime to count jobs by queue and outcome, and time them. */
  jobs: JobObserver
  observeProviderCall(provider: string, endpoint: string, outcome: string, seconds: number): void
  /** Where the keep-alive lag is read on each scrape (seconds), and the configured period beside it. */
  keepaliveLag(read: () => Promise<number>, periodSec?: number): void
  /** Where readiness (Redis answers) is read on each scrape, as `switchboard_ready` 1 or 0. */
  readiness(read: () => Promise<boolean>): void
  /** Counts one Redis command that got no answer within the client's command timeout. */
  redisCommandTimedOut(): void
  /** Counts one tenant API call by its route pattern (`/api/v1/connections/:id`) and status. */
  observeApiCall(route: string, status: number): void
  /** `GET /metrics`; with a token, only for `Authorization: Bearer <token>`. */
  metricsRoute(token?: string): Router
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, Express route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })
  const providerDuration = new Histogram({
    name: 'provider_call_duration_seconds',
    help: 'Time of one call to a provider (sms77, nexmo), by endpoint and outcome',
    labelNames: ['provider', 'endpoint', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })
  const refreshes = new Counter({
    name: 'token_refreshes_total',
    help: 'Token refreshes by provider and outcome (ok, invalid_grant, error, waited = another holder refreshed)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  })
  const lockWait = new Histogram({
    name: 'refresh_lock_wait_seconds',
    help: 'Time from wanting a refresh to holding the refresh lock or seeing the refreshed token',
    buckets: [0.001, 0.005, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  const statusChanges = new Counter({
    name: 'connection_status_changes_total',
    help: 'Connection status changes (e.g. connected -> needs_reconnect), by provider',
    labelNames: ['provider', 'from', 'to'] as const,
    registers: [registry],
  })

  const apiCalls = new Counter({
    name: 'api_calls_total',
    help: 'Tenant API calls, by Express route pattern and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  })

  const jobsFinished = new Counter({
    name: 'jobs_total',
    help: 'Background jobs finished, by queue and outcome (completed, failed = an attempt failed)',
    labelNames: ['queue', 'outcome'] as const,
    registers: [registry],
  })
  const jobDuration = new Histogram({
    name: 'job_duration_seconds',
    help: 'Time one background job attempt ran, by queue',
    labelNames: ['queue'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  })
  const jobs: JobObserver = {
    finished(queue, outcome, seconds) {
      jobsFinished.inc({ queue, outcome })
      jobDuration.observe({ queue }, seconds)
    },
  }

  const redisTimeouts = new Counter({
    name: 'redis_command_timeouts_total',
    help: 'Redis commands that got no answer within the command timeout (a hung or unreachable Redis)',
    registers: [registry],
  })
  const keepalivePeriod = new Gauge({
    name: 'connection_keepalive_period_seconds',
    help: 'CONNECTION_KEEPALIVE_SECONDS: every connection is used at least this often',
    registers: [registry],
  })
  let readReady: (() => Promise<boolean>) | undefined
  new Gauge({
    name: 'switchboard_ready',
    help: 'Whether this instance is ready (1: Redis answers a PING within 1 s, as /readyz; 0: not)',
    registers: [registry],
    async collect() {
      if (readReady) this.set((await readReady().catch(() => false)) ? 1 : 0)
    },
  })
  let readLag: (() => Promise<number>) | undefined
  new Gauge({
    name: 'connection_keepalive_lag_seconds',
    help: 'Age of the oldest connection not yet kept alive (since its last refresh or check), as of the last sweep',
    registers: [registry],
    async collect() {
      try {
        if (readLag) this.set(await readLag())
      } catch {
        // Redis away: the scrape still answers, with the last value read.
      }
    },
  })

  // One child per (method, route, status), all bounded: prom-client hashes the labels on
  // every observe otherwise, which a busy page pays on each request.
  const httpChildren = new Map<string, { observe(seconds: number): void }>()
  const httpMetrics: RequestHandler = (req, res, next) => {
    const start = performance.now()
    res.once('finish', () => {
      const route = routeOf(req)
      const status = String(res.statusCode)
      const key = `${req.method} ${status} ${route}`
      let child = httpChildren.get(key)
      if (!child) httpChildren.set(key, (child = httpDuration.labels(req.method, route, status)))
      child.observe((performance.now() - start) / 1000)
    })
    next()
  }

  const events: ConnectionEvents = {
    refreshed: (provider, outcome) => refreshes.inc({ provider, outcome }),
    lockWaited: (ms) => lockWait.observe(Math.max(0, ms) / 1000),
    changed: (change) => {
      const move = statusMove(change)
      if (move) statusChanges.inc({ provider: change.ref.provider, from: move.from, to: move.to })
    },
  }

  return {
    registry,
    httpMetrics,
    events,
    jobs,
    keepaliveLag(read, periodSec) {
      readLag = read
      if (periodSec !== undefined) keepalivePeriod.set(periodSec)
    },
    readiness: (read) => void (readReady = read),
    redisCommandTimedOut: () => redisTimeouts.inc(),
    observeProviderCall(provider, endpoint, outcome, seconds) {
      providerDuration.observe(
        { provider, endpoint: providerEndpoint(endpoint), outcome },
        Math.max(0, seconds),
      )
    },
    observeApiCall(route, status) {
      apiCalls.inc({ route, status: String(status) })
    },
    metricsRoute(token) {
      const r = Router()
      r.get('/metrics', async (req, res, next) => {
        if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
          res
            .status(401)
            .set('WWW-Authenticate', 'Bearer realm="metrics"')
            .type('text/plain')
            .send('unauthorized\n')
          return
        }
        try {
          const body = await registry.metrics()
          res
            .status(200)
            .set('Content-Type', registry.contentType)
            .set('Cache-Control', 'no-store')
            .send(body)
        } catch (err) {
          next(err)
        }
      })
      return r
    },
  }
}

/** Constant-time check of `Authorization: Bearer <token>` (hashes first, so lengths leak nothing). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer +(\S+)\s*$/i.exec(header ?? '')
  const given = createHash('sha256')
    .update(m?.[1] ?? '')
    .digest()
  const expected = createHash('sha256').update(token).digest()
  return timingSafeEqual(given, expected) && m !== null
}
