import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import supertest from 'supertest'
import type { Express } from 'express'
import { createApp, buildServices, type AppDeps, type Services } from '../../src/boot/app.js'
import { loadConfig, type Config } from '../../src/config/config.js'
import { createLogger } from '../../src/logging/logger.js'
import type { RedisClient } from '../../src/redis/client.js'
import { dropPrefix, openRedis, REDIS_URL, uniquePrefix } from './redis.js'
import {
  startSandbox,
  TEST_NEXMO_CONSUMER,
  TEST_SMS77_CLIENT,
  type RunningSandbox,
} from './sandbox-server.js'

export const BASE_URL = 'http://switchboard.test'

export interface TestApp {
  app: Express
  config: Config
  redis: RedisClient
  services: Services
  sandbox: RunningSandbox
  prefix: string
  /** Every log line the app wrote, for tests that prove no secret leaks. */
  logs: string[]
  close(): Promise<void>
}

export interface TestAppOptions {
  name: string
  env?: Record<string, string>
  deps?: Partial<AppDeps>
  sandbox?: RunningSandbox
  /**
   * Opens the app's client with the test's prefix on another Redis (a Cluster, a Sentinel,
   * a throwaway server); it is disconnected on close, and nothing is dropped from the shared one.
   */
  openRedis?: (prefix: string) => Promise<RedisClient>
}

/** The environment that points an app at a running sandbox as its providers, with the test clients. */
export function providerEnv(sandbox: RunningSandbox): Record<string, string> {
  return {
    SMS77_CLIENT_ID: TEST_SMS77_CLIENT.id,
    SMS77_CLIENT_SECRET: TEST_SMS77_CLIENT.secret,
    SMS77_OAUTH_URL: sandbox.sms77OAuthUrl,
    SMS77_API_URL: sandbox.sms77ApiUrl,
    NEXMO_CONSUMER_KEY: TEST_NEXMO_CONSUMER.key,
    NEXMO_CONSUMER_SECRET: TEST_NEXMO_CONSUMER.secret,
    NEXMO_OAUTH_URL: sandbox.nexmoOAuthUrl,
    NEXMO_API_URL: sandbox.nexmoRestUrl,
    SANDBOX: '0',
  }
}

/** The real app on a real Redis (own prefix), with the sandbox as provider on a real port. */
export async function startTestApp(opts: TestAppOptions): Promise<TestApp> {
  const sandbox = opts.sandbox ?? (await startSandbox())
  const prefix = uniquePrefix(opts.name)
  const config = loadConfig({
    NODE_ENV: 'test',
    BASE_URL,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...providerEnv(sandbox),
    LOG_LEVEL: 'debug',
    ...opts.env,
  })
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      cb()
    },
  })
  const logger = createLogger(config.logLevel, sink)
  const redis = opts.openRedis ? await opts.openRedis(prefix) : await openRedis(prefix)
  // Many sign-ups come from one test IP; tests of the limits pass their own.
  const loginLimits = {
    perIp: { points: 1000, durationSec: 60 },
    perAccount: { points: 5, durationSec: 60 },
    signupPerIp: { points: 10_000, durationSec: 60 },
  }
  const deps: AppDeps = { config, redis, logger, loginLimits, ...opts.deps }
  const services = buildServices(deps)
  const app = createApp(deps, services)
  return {
    app,
    config,
    redis,
    services,
    sandbox,
    prefix,
    logs,
    async close() {
      await services.jobs.close(2_000)
      redis.disconnect()
      if (!opts.openRedis) await dropPrefix(prefix)
      if (!opts.sandbox) await sandbox.close()
    },
  }
}

/**
 * A second instance of the app beside `t`: its own Redis connection on the same prefix, its
 * own process state (caches, single flights), the same jobs. Disconnect `redis` after `t.close()`.
 */
export async function secondInstance(
  t: TestApp,
  deps: Partial<AppDeps> = {},
): Promise<{ app: Express; redis: RedisClient }> {
  const redis = await openRedis(t.prefix)
  const logger = createLogger('silent')
  return { app: createApp({ config: t.config, redis, logger, jobs: t.services.jobs, ...deps }), redis }
}

export type Agent = ReturnType<typeof supertest.agent>

export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html)
  if (!m) throw new Error('no CSRF token on the page')
  return m[1]!
}

let counter = 0
export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${Date.now().toString(36)}-${counter++}-${randomBytes(3).toString('hex')}@example.test`
}

/** Signs up a new organisation through the real form; returns a signed-in agent. */
export async function signUp(
  app: Express,
  org = 'Acme Test',
  email = uniqueEmail('admin'),
  password = 'correct horse battery',
): Promise<{ agent: Agent; email: string; password: string }> {
  const agent = supertest.agent(app)
  const page = await agent.get('/signup').expect(200)
  await agent
    .post('/signup')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), organization: org, email, password })
    .expect(303)
  return { agent, email, password }
}

export async function csrfOf(agent: Agent, path = '/dashboard'): Promise<string> {
  const page = await agent.get(path).expect(200)
  return csrfFrom(page.text)
}
