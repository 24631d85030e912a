import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { buildServices, createApp, type AppDeps } from '../../src/boot/app.js'
import { loadConfig } from '../../src/config/config.js'
import { createLogger } from '../../src/logging/logger.js'
import { createMetrics } from '../../src/ops/metrics.js'
import type { ProviderCallObserver } from '../../src/providers/http.js'
import { connectRedis, createRedis } from '../../src/redis/client.js'
import { startTracing } from '../../src/tracing/start.js'
import { serveParent } from '../lib/ipc.js'
import { Phases } from '../lib/phases.js'
import { Timings } from '../lib/timings.js'

/**
 * Switchboard under test, composed as src/main.ts composes it (metrics, provider-call
 * observer, pino at the configured level) with three bench-only differences: it listens on
 * a free loopback port, the panel cache TTL comes from BENCH_PANEL_TTL, and sign-ups are not
 * rate limited (the benchmarks sign up a thousand users from 127.0.0.1).
 */
const server = http.createServer()
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const port = (server.address() as AddressInfo).port
const origin = `http://127.0.0.1:${port}`
const config = loadConfig({ ...process.env, PORT: String(port), HOST: '127.0.0.1', BASE_URL: origin })
const logger = createLogger(config.logLevel)
// As src/main.ts: only with OTEL_EXPORTER_OTLP_ENDPOINT (the tracing bench's second app).
const tracing = config.tracing ? await startTracing(config.tracing) : undefined
const redis = createRedis(config.redisUrl, config.redisKeyPrefix)
await connectRedis(redis, config.redisUrl)

const metrics = createMetrics()
// What the app spends waiting on the provider, by endpoint path (read by the callback bench).
const upstream = new Timings()
// Where a page's time goes around its provider calls (read by the cold dashboard bench).
const phases = new Phases()
const timeUpstream: ProviderCallObserver = (_provider, url, _outcome, seconds) => {
  const end = performance.now()
  upstream.add(new URL(url).pathname, seconds * 1000)
  phases.call({ start: end - seconds * 1000, end })
}
server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
  const start = performance.now()
  res.once('finish', () => phases.page({ start, end: performance.now() }))
})

const generous = { points: 1_000_000, durationSec: 60 }
const deps: AppDeps = {
  config,
  redis,
  logger,
  metrics,
  providerObservers: [timeUpstream],
  panelCacheTtlSec: Number(process.env.BENCH_PANEL_TTL ?? 30),
  loginLimits: { perIp: generous, perAccount: { points: 5, durationSec: 900 }, signupPerIp: generous },
  api: { limits: generous },
}
const services = buildServices(deps)
server.on('request', createApp(deps, services))
// The background bench's instance runs the jobs (keep-alive sweeps, webhook deliveries) as main.ts does.
const jobs = process.env.BENCH_JOBS === '1'
if (jobs) {
  services.jobs.start()
  await services.jobs.scheduled()
}

serveParent(port, { upstream: () => upstream.take(), phases: () => phases.take() }, async () => {
  server.close()
  server.closeAllConnections()
  if (jobs) await services.jobs.close(2_000)
  await services.lock.releaseAll()
  await tracing?.shutdown().catch(() => undefined)
  await redis.quit().catch(() => redis.disconnect())
})
