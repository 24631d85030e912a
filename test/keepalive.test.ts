/**
 * Keep-alive (DESIGN.md "Connection lifecycle", issue 12 part 2): connections are used in
 * the background, without a page load, once per CONNECTION_KEEPALIVE_SECONDS for the whole
 * deployment. Real Redis, the sandbox as provider, BullMQ workers inside the app.
 */
import { steppedClock } from './helpers/clock.js'
import { afterEach, describe, expect, it } from 'vitest'
import { buildServices, type Services } from '../src/boot/app.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import type { ConnectionChange } from '../src/connections/events.js'
import { createLogger } from '../src/logging/logger.js'
import { createMetrics } from '../src/ops/metrics.js'
import { noticesKey } from '../src/redis/keys.js'
import supertest from 'supertest'
import { signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { openRedis } from './helpers/redis.js'
import { waitFor } from './helpers/redis-server.js'

const PERIOD_SEC = 2
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

/** Each test its own app and sandbox, so refresh counts are only this test's. */
async function app(name: string, refreshed: number[] = [], now?: () => number): Promise<TestApp> {
  const events = {
    changed: (c: ConnectionChange) => void (c.kind === 'refreshed' && refreshed.push(Date.now())),
  }
  const t = await startTestApp({
    name,
    env: { CONNECTION_KEEPALIVE_SECONDS: String(PERIOD_SEC) },
    deps: { panelCacheTtlSec: 0, events, metrics: createMetrics(), ...(now ? { health: { now } } : {}) },
  })
  closers.push(() => t.close())
  return t
}

/** A second instance on the same Redis prefix and configuration: its own services and workers. */
async function secondInstance(t: TestApp, refreshed: number[]): Promise<Services> {
  const redis = await openRedis(t.prefix)
  const events = {
    changed: (c: ConnectionChange) => void (c.kind === 'refreshed' && refreshed.push(Date.now())),
  }
  const services = buildServices({ config: t.config, redis, logger: createLogger('silent'), events })
  closers.push(async () => {
    await services.jobs.close(2_000)
    redis.disconnect()
  })
  return services
}

async function connected(
  t: TestApp,
  provider: 'sms77' | 'nexmo',
): Promise<{ agent: Agent; ref: ConnectionRef }> {
  const { agent, email } = await signUp(t.app)
  if (provider === 'sms77') await connectSms77(t, agent, ['balance'])
  else await connectNexmo(agent)
  // Takes the "connected" flash, so later pages show only what happened since.
  await agent.get('/dashboard').expect(200)
  const user = (await t.services.users.findForLogin(email))!.user
  return { agent, ref: { tenantId: user.tenantId, userId: user.id, provider } }
}

async function startWorkers(...instances: Services[]): Promise<void> {
  for (const s of instances) s.jobs.start()
  await Promise.all(instances.map((s) => s.jobs.scheduled()))
}

describe('keep-alive', () => {
  it('refreshes an idle sms77 connection in the background: refresh tokens living 6 s survive 14 s without a page load', async () => {
    const t = await app('keepalive-idle')
    const sms77 = t.sandbox.control
    sms77.options.sms77.refreshTokenTtlSec = 6
    const { agent, ref } = await connected(t, 'sms77')
    const before = sms77.stats.sms77.refreshes
    const began = Date.now()
    await startWorkers(t.services)

    await waitFor(
      'two refresh-token lifetimes and more to pass',
      async () => Date.now() - began > 14_000,
      30_000,
    )
    expect(sms77.stats.sms77.refreshes - before).toBeGreaterThanOrEqual(14 / PERIOD_SEC - 2)
    expect(sms77.stats.sms77.refreshFailures).toBe(0)
    const stored = (await t.services.store.get(ref))!
    expect(stored.status).toBe('connected')
    expect(sms77.sms77RefreshTokens()).toContain(stored.grant.secrets.refreshToken)
    // The provider forgets every access token: the page can only load by refreshing.
    sms77.expireSms77AccessTokens()
    const page = await agent.get('/dashboard').expect(200)
    expect(page.text).toContain('john.doe@acme.inc')
    expect(page.text).not.toContain('needs reconnect')
    // Keep-alive lag: the oldest connection's last check, as of the last sweep, is within the period.
    const metrics = await supertest(t.app).get('/metrics').expect(200)
    const lag = Number(/^connection_keepalive_lag_seconds ([\d.e+-]+)$/m.exec(metrics.text)?.[1])
    expect(lag).toBeGreaterThan(0)
    expect(lag).toBeLessThanOrEqual(PERIOD_SEC * 2)
  })

  it('two instances on one Redis keep a connection alive once per period, not twice', async () => {
    const refreshed: number[] = []
    const t = await app('keepalive-two', refreshed)
    const second = await secondInstance(t, refreshed)
    await connected(t, 'sms77')
    await startWorkers(t.services, second)
    const sandbox = t.sandbox.control.stats.sms77
    const before = sandbox.refreshes
    const began = Date.now()
    const windowMs = 5 * PERIOD_SEC * 1000

    await waitFor('five periods to pass', async () => Date.now() - began > windowMs, windowMs + 10_000)
    const count = sandbox.refreshes - before
    // Refresh times of both instances together.
    refreshed.sort((a, b) => a - b)
    const gaps = refreshed.slice(1).map((at, i) => at - refreshed[i]!)
    const plan = t.services.keepalive.plan
    // One scheduler for the deployment however many instances upserted it.
    expect(await t.services.jobs.queue('keepalive-sweep').getJobSchedulers()).toHaveLength(1)
    // Each refresh waits at least `dueAfterMs` after the previous one: never two per period.
    expect(Math.min(...gaps), `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(plan.dueAfterMs - 250)
    expect(count, `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(windowMs / plan.periodMs - 1)
    expect(count).toBeLessThanOrEqual(Math.ceil(windowMs / plan.dueAfterMs) + 1)
    // And at least once per period (a little slack for a loaded machine).
    expect(Math.max(...gaps)).toBeLessThanOrEqual(plan.periodMs + 1_000)
  })

  it('marks a Nexmo grant revoked at the provider needs reconnect without a page load, with a banner', async () => {
    const t = await app('keepalive-nexmo')
    const { agent, ref } = await connected(t, 'nexmo')
    t.sandbox.control.revokeNexmoAccessTokens()
    await startWorkers(t.services)

    await waitFor(
      'the connection to need a reconnect',
      async () => (await t.services.store.status(ref)) === 'needs_reconnect',
      15_000,
    )
    const key = noticesKey(ref.tenantId, ref.userId)
    await waitFor('the banner to be queued', async () => (await t.redis.llen(key)) > 0, 5_000)
    const page = await agent.get('/dashboard').expect(200)
    expect(page.text).toContain('needs reconnect')
    expect(page.text).toContain('Your Nexmo connection stopped working and needs to be reconnected.')
  })

  it('a passing failure (token endpoint down) degrades the connection and waits out its back-off, then the connection recovers', async () => {
    // The connections' back-off (issue 24) is measured by this clock: one step is one call.
    const clock = steppedClock()
    const t = await app('keepalive-passing', [], clock.now)
    const { agent, ref } = await connected(t, 'sms77')
    t.sandbox.control.setFaults({ tokenFails: true })
    await startWorkers(t.services)

    const failed = () => t.logs.some((l) => l.includes('keep-alive check failed'))
    await waitFor('a failed keep-alive check', async () => failed(), 15_000)
    await waitFor('the connection degraded', async () => (await t.services.store.status(ref)) === 'degraded')
    const { secrets } = (await t.services.store.get(ref))!.grant
    const logged = t.logs.join('\n')
    expect(logged).toContain('"job":"keepalive"')
    expect(logged).not.toContain(secrets.accessToken)
    expect(logged).not.toContain(secrets.refreshToken)

    const refreshes = t.sandbox.control.stats.sms77.refreshes
    t.sandbox.control.setFaults({ tokenFails: false })
    clock.advance(31_000)
    await waitFor(
      'a refresh once the endpoint is back and the back-off step is over',
      async () => {
        if (t.sandbox.control.stats.sms77.refreshes > refreshes) return true
        await agent.get('/dashboard')
        return false
      },
      15_000,
    )
    await waitFor(
      'the connection connected again',
      async () => (await t.services.store.status(ref)) === 'connected',
    )
    expect((await agent.get('/dashboard').expect(200)).text).not.toContain('needs reconnect')
  })
})
