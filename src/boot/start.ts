import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConfigError, type Config } from '../config/config.js'
import { loadProcessConfig } from '../config/process.js'
import { createApp, buildServices } from './app.js'
import { createLogger, flushLogs, type Logger } from '../logging/logger.js'
import { devLogStream } from '../logging/dev-stream.js'
import { connectRedis, createRedis, type RedisClient } from '../redis/client.js'
import { sandboxStateStore } from '../redis/sandbox-state.js'
import { createSandbox, type Sandbox } from '../sandbox/index.js'
import { createMetrics } from '../ops/metrics.js'
import { sandboxOptionsFor } from '../sandbox/options.js'
import { backfillWordIndexOnce } from '../support/word-backfill.js'
import { migrateToDataKeysOnce } from '../ops/reencrypt.js'
import { startTracing } from '../tracing/start.js'

/** The sandbox keeps the grants it issued in Redis, so a restart or file save keeps them working. */
function sandboxFor(config: Config, redis: RedisClient, logger: Logger): Sandbox | undefined {
  if (!config.sandbox.enabled) return undefined
  const onError = (err: unknown) => logger.warn({ err: (err as Error).message }, 'sandbox state not kept')
  return createSandbox(sandboxOptionsFor(config), { store: sandboxStateStore(redis), onError })
}

/** One line instead of a stack: which port, and how to pick another. */
export function listenFailure(code: string, host: string, port: number): string {
  const next = port < 65535 ? port + 1 : 3000
  const why =
    code === 'EADDRINUSE'
      ? 'is already in use (is Switchboard already running?)'
      : 'may not be opened by this user'
  return `startup error: port ${port} on ${host} ${why}; stop the other process or choose another port, e.g. PORT=${next} npm run dev`
}

/** SIGTERM lets refreshes and jobs finish and store for this long (compose gives 30 s). */
const SHUTDOWN_BOUND_MS = 25_000

/** The process: configuration, Redis, the app on its port, the jobs, and a bounded shutdown. */
export async function start(): Promise<void> {
  let config: Config
  try {
    // .env, *_FILE and the dev secrets file, exactly as the operator CLI reads them.
    config = loadProcessConfig()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    for (const line of err.lines) console.error(`config error: ${line}`)
    process.exit(1)
  }
  const logger = createLogger(config.logLevel, await devLogStream(config.env, process.stdout.isTTY))
  for (const w of config.warnings) logger.warn(w)
  const tracing = config.tracing ? await startTracing(config.tracing) : undefined
  if (config.tracing)
    logger.info({ url: config.tracing.tracesUrl, protocol: config.tracing.protocol }, 'traces go to OTLP')
  const redis = createRedis(config.redis, config.redisKeyPrefix)
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'))
  try {
    await connectRedis(redis, config.redis)
  } catch (err) {
    logger.fatal((err as Error).message)
    console.error(`startup error: ${(err as Error).message}`)
    process.exit(1)
  }
  const metrics = createMetrics()
  const sandbox = sandboxFor(config, redis, logger)
  await sandbox?.ready
  const deps = { config, redis, logger, sandbox, metrics }
  const services = buildServices(deps)
  const server = http.createServer(createApp(deps, services))
  server.once('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES') throw err
    console.error(listenFailure(err.code, config.host, config.port))
    process.exit(1)
  })
  server.listen(config.port, config.host, () => {
    logger.info({ url: config.baseUrl }, `Switchboard listening on ${config.baseUrl}`)
    // Start-up lines at once (an operator watching the start), not a second later with the batch.
    void flushLogs(logger)
  })
  services.jobs.start()
  const { supportIndex: index, users, store: connections } = services
  backfillWordIndexOnce({ redis, index, users, connections })
    .then((n) => n !== null && logger.info({ indexed: n }, 'support word index backfilled'))
    .catch((err: unknown) =>
      logger.error({ err: (err as Error).message }, 'support word index backfill failed'),
    )
  // Values of an install from before data keys still open meanwhile (both formats read).
  migrateToDataKeysOnce(redis, services.ciphers)
    .then((r) => r && logger.info({ ...r }, 'tokens and secrets moved onto per-organisation data keys'))
    .catch((err: unknown) => logger.error({ err: (err as Error).message }, 'data key migration failed'))
  services.jobs
    .scheduled()
    .catch((err: unknown) => logger.error({ err: (err as Error).message }, 'job schedules not stored'))

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    // The bound for work in flight; the forced exit only comes after it, never while a
    // refresh is still at the provider with a rotation to store.
    const deadline = Date.now() + SHUTDOWN_BOUND_MS
    const force = setTimeout(() => process.exit(1), SHUTDOWN_BOUND_MS + 3_000).unref()
    const closed = new Promise<void>((resolve) => server.on('close', resolve))
    server.close()
    // close() drops the connections idle now; a keep-alive connection whose request
    // finishes later would hold shutdown for its whole keep-alive timeout, so sweep again.
    const sweep = setInterval(() => server.closeIdleConnections(), 100)
    server.closeIdleConnections()
    await Promise.race([closed, sleep(SHUTDOWN_BOUND_MS)])
    clearInterval(sweep)
    // A page may have answered before its refresh finished (panel deadline): let it store.
    const drained = await services.connections.drain(Math.max(0, deadline - Date.now()))
    if (!drained) logger.warn('shutdown bound reached with connection work still running')
    await services.jobs.close(Math.max(1_000, deadline - Date.now()))
    // Locks of work still running stay (they expire by themselves); the rest are released.
    if (drained) await services.lock.releaseAll()
    await tracing?.shutdown().catch(() => undefined)
    await redis.quit().catch(() => redis.disconnect())
    await flushLogs(logger)
    clearTimeout(force)
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}
