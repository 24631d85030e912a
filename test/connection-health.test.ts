/**
 * Connection health (issue 24): one status and reason everywhere, a back-off shared by
 * every instance so a failing provider is tried at most once per step however many pages
 * load, and exactly one `connection.recovered` per recovery. Real Redis, the sandbox as the
 * provider on a loopback port answering 503, two app instances, a webhook receiver; the
 * back-off's clock is stepped by hand instead of waited for.
 */
import supertest from 'supertest'
import type { Express } from 'express'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/boot/app.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { ConnectionHealth } from '../src/connections/health.js'
import { createLogger } from '../src/logging/logger.js'
import { createMetrics } from '../src/ops/metrics.js'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { api, createApiKey } from './helpers/api.js'
import { steppedClock } from './helpers/clock.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { waitFor } from './helpers/redis-server.js'
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js'

const clock = steppedClock()
const metrics = createMetrics()
let t: TestApp
let second: Express
let receiver: Receiver
const owners: Owner[] = []

beforeAll(async () => {
  receiver = await startReceiver()
  t = await startTestApp({
    name: 'connection-health',
    env: { WEBHOOK_ALLOW_PRIVATE: '1' },
    deps: { panelCacheTtlSec: 0, health: { now: clock.now }, metrics },
  })
  t.services.jobs.start()
  // A second instance on the same Redis and provider, with its own process state.
  second = createApp({
    config: t.config,
    redis: t.redis,
    logger: createLogger('silent'),
    panelCacheTtlSec: 0,
    health: { now: clock.now },
    jobs: t.services.jobs,
  })
})
afterEach(() => t.sandbox.control.setFaults({ tokenFails: false, apiFails: false, failStatus: 500 }))
afterAll(async () => {
  await t.close()
  await receiver.close()
})

interface Owner {
  agent: Agent
  cookie: string[]
  tenantId: string
  sms77: ConnectionRef
  nexmo: ConnectionRef
}

/** A new organisation whose admin connected both providers, with the webhook pointed at the receiver. */
async function owner(): Promise<Owner> {
  const { agent, email } = await signUp(t.app)
  await agent
    .post('/admin/webhook')
    .type('form')
    .send({
      _csrf: await csrfOf(agent, '/admin/credentials'),
      url: receiver.url,
      secret: 'whsec-health-0123456789',
    })
    .expect(303)
  await connectSms77(t, agent, ['balance', 'analytics'])
  await connectNexmo(agent)
  const user = (await t.services.users.findForLogin(email))!.user
  const sms77 = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' as const }
  const page = await agent.get('/dashboard').expect(200)
  const made: Owner = {
    agent,
    cookie: page.request.cookies as unknown as string[],
    tenantId: user.tenantId,
    sms77,
    nexmo: { ...sms77, provider: 'nexmo' },
  }
  owners.push(made)
  return made
}

const tokenRequests = () =>
  t.sandbox.control.stats.sms77.refreshes + t.sandbox.control.stats.sms77.refreshFailures

/** The access token is spent here and at the provider: every use needs a refresh first. */
async function expireEverywhere(ref: ConnectionRef): Promise<void> {
  const record = (await t.services.store.get(ref))!
  await t.services.store.saveGrant(ref, { ...record.grant, expiresAt: Date.now() - 1 })
  t.sandbox.control.expireSms77AccessTokens()
}

/** One dashboard load on either instance, timed. */
async function load(o: Owner, i: number): Promise<{ ms: number; text: string }> {
  const started = Date.now()
  const res =
    i % 2
      ? await o.agent.get('/dashboard')
      : await supertest(second).get('/dashboard').set('Cookie', o.cookie)
  expect(res.status).toBe(200)
  return { ms: Date.now() - started, text: res.text }
}

/** `n` loads, 10 at a time, alternating instances; every one answers within `budgetMs`. */
async function loads(o: Owner, n: number, budgetMs: number): Promise<string[]> {
  const texts: string[] = []
  for (let i = 0; i < n; i += 10) {
    const batch = await Promise.all(Array.from({ length: Math.min(10, n - i) }, (_, j) => load(o, i + j)))
    for (const b of batch) expect(b.ms).toBeLessThan(budgetMs)
    texts.push(...batch.map((b) => b.text))
  }
  return texts
}

// Standard Webhooks bodies ({type, timestamp, data}); the person's connections end in their id.
const hitsOf = (event: string, o: { sms77: { userId: string } }) =>
  receiver.hits.filter((h) => {
    const body = JSON.parse(h.body) as { type?: string; data?: { connection?: { id?: string } } }
    return body.type === event && (body.data?.connection?.id ?? '').endsWith(`_${o.sms77.userId}`)
  })

async function webhooksSettled(): Promise<void> {
  await waitFor('the webhook queue to be idle', async () => {
    const counts = await t.services.jobs
      .queue('webhooks')
      .getJobCounts('waiting', 'active', 'delayed', 'prioritized')
    return Object.values(counts).every((n) => n === 0)
  })
}

describe('the token endpoint answers 503 for a while, two instances', () => {
  it(
    '200 pages within the budget, one token request per back-off step, connected again after it, one recovered webhook',
    { timeout: 90_000 },
    async () => {
      const o = await owner()
      await expireEverywhere(o.sms77)
      t.sandbox.control.setFaults({ tokenFails: true, failStatus: 503 })
      const before = tokenRequests()

      // Step 1: the first failure starts a 30 s back-off; nothing else reaches the provider.
      const pages = await loads(o, 200, 5_000)
      expect(tokenRequests()).toBe(before + 1)
      for (const text of pages)
        expect(text).toContain('<span class="badge warn">temporarily unavailable</span>')
      let record = (await t.services.store.get(o.sms77))!
      expect(record).toMatchObject({
        status: 'degraded',
        statusReason: 'provider_unavailable',
        backoff: { step: 1 },
      })
      expect(record.backoff!.until - clock.now()).toBeGreaterThan(29_000)

      // Step 2 after 30 s (one attempt), then 60 s of nothing, then step 3 (one attempt).
      clock.advance(30_000)
      await loads(o, 10, 5_000)
      expect(tokenRequests()).toBe(before + 2)
      expect((await t.services.store.get(o.sms77))!.backoff?.step).toBe(2)
      clock.advance(30_000)
      await loads(o, 10, 5_000)
      expect(tokenRequests()).toBe(before + 2)
      clock.advance(30_000)
      await loads(o, 10, 5_000)
      expect(tokenRequests()).toBe(before + 3)
      record = (await t.services.store.get(o.sms77))!
      expect(record.backoff).toMatchObject({ step: 3 })
      expect(record.backoff!.until - clock.now()).toBeGreaterThan(119_000)

      // The provider is back: within the back-off nothing is tried, after it one refresh.
      t.sandbox.control.setFaults({ tokenFails: false, failStatus: 500 })
      await loads(o, 10, 5_000)
      expect(tokenRequests()).toBe(before + 3)
      clock.advance(120_000)
      const back = await loads(o, 10, 5_000)
      expect(tokenRequests()).toBe(before + 4)
      expect((await t.services.store.get(o.sms77))!).toMatchObject({
        status: 'connected',
        statusReason: undefined,
      })
      expect((await t.services.store.get(o.sms77))!.backoff).toBeUndefined()
      expect(back.some((text) => !text.includes('temporarily unavailable'))).toBe(true)
      for (const i of [0, 1]) expect((await load(o, i)).text).not.toContain('temporarily unavailable')

      await waitFor('the recovered webhook', async () => hitsOf('connection.recovered', o).length >= 1)
      await webhooksSettled()
      expect(hitsOf('connection.recovered', o)).toHaveLength(1)
      expect(JSON.parse(hitsOf('connection.recovered', o)[0]!.body)).toMatchObject({
        type: 'connection.recovered',
        data: { connection: { id: `sms77_${o.sms77.userId}`, provider: 'sms77' } },
      })
      // Degraded is no page for anyone: no needs_reconnect webhook was sent.
      expect(hitsOf('connection.needs_reconnect', o)).toHaveLength(0)
    },
  )

  it('the API answers at once from the last known balance while degraded, with status and reason', async () => {
    const o = await owner()
    const key = await createApiKey(o.agent, 'health', ['read'])
    const id = `nexmo_${o.nexmo.userId}`
    const fresh = await api(t.app, key).get(`/api/v1/connections/${id}`).expect(200)
    expect(fresh.body).toMatchObject({ status: 'connected', statusReason: null })
    t.sandbox.control.setFaults({ apiFails: true, failStatus: 503 })
    try {
      // The read that finds Nexmo down answers with what is known, and says why.
      const first = await api(t.app, key).get(`/api/v1/connections/${id}`).expect(200)
      expect(first.body).toMatchObject({ status: 'degraded', statusReason: 'provider_unavailable' })
      expect(first.body.balance).toEqual(fresh.body.balance)
      const calls = t.sandbox.control.stats.nexmo.apiCalls
      const started = Date.now()
      const degraded = await api(t.app, key).get(`/api/v1/connections/${id}`).expect(200)
      expect(Date.now() - started).toBeLessThan(1_000)
      expect(t.sandbox.control.stats.nexmo.apiCalls).toEqual(calls)
      expect(degraded.body).toMatchObject({ status: 'degraded', statusReason: 'provider_unavailable' })
      expect(degraded.body.balance).toEqual(fresh.body.balance)
      const list = await api(t.app, key).get('/api/v1/connections?status=degraded').expect(200)
      expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([id])
    } finally {
      t.sandbox.control.setFaults({ apiFails: false, failStatus: 500 })
    }
  })

  it('the keep-alive follows the same back-off: it waits without calling the provider', async () => {
    const o = await owner()
    await expireEverywhere(o.sms77)
    t.sandbox.control.setFaults({ tokenFails: true, failStatus: 503 })
    try {
      const before = tokenRequests()
      await expect(t.services.connections.check(o.sms77)).rejects.toMatchObject({
        code: 'provider_unavailable',
      })
      expect(tokenRequests()).toBe(before + 1)
      expect(await t.services.connections.check(o.sms77)).toBe('waiting')
      expect(tokenRequests()).toBe(before + 1)
      t.sandbox.control.setFaults({ tokenFails: false, failStatus: 500 })
      clock.advance(30_000)
      expect(await t.services.connections.check(o.sms77)).toBe('checked')
      expect((await t.services.store.get(o.sms77))!.status).toBe('connected')
    } finally {
      t.sandbox.control.setFaults({ tokenFails: false, failStatus: 500 })
    }
  })
})

describe('dead grants: the reason comes from the provider', () => {
  it('a refresh refused with invalid_grant: needs reconnect, grant_expired, on the card, the API, the webhook', async () => {
    const o = await owner()
    const key = await createApiKey(o.agent, 'dead', ['read'])
    t.sandbox.control.revokeSms77RefreshTokens()
    await expireEverywhere(o.sms77)
    const page = await o.agent.get('/dashboard').expect(200)
    expect(page.text).toContain('<span class="badge warn">needs reconnect</span>')
    expect(page.text).toContain('sms77 no longer accepts this connection; reconnect to continue.')
    expect(await t.services.store.get(o.sms77)).toMatchObject({
      status: 'needs_reconnect',
      statusReason: 'grant_expired',
    })
    const list = await api(t.app, key).get('/api/v1/connections?status=needs_reconnect').expect(200)
    expect(list.body.data).toEqual([
      expect.objectContaining({ id: `sms77_${o.sms77.userId}`, statusReason: 'grant_expired' }),
    ])
    await waitFor(
      'the needs_reconnect webhook',
      async () => hitsOf('connection.needs_reconnect', o).length === 1,
    )
    expect(JSON.parse(hitsOf('connection.needs_reconnect', o)[0]!.body)).toMatchObject({
      type: 'connection.needs_reconnect',
      data: { reason: 'grant_expired' },
    })
  })

  it('a Nexmo grant revoked at Nexmo: needs reconnect, access_revoked', async () => {
    const o = await owner()
    t.sandbox.control.revokeNexmoAccessTokens()
    const page = await o.agent.get('/dashboard').expect(200)
    expect(page.text).toContain('Access to this account was revoked at Nexmo; reconnect to continue.')
    expect(await t.services.store.get(o.nexmo)).toMatchObject({
      status: 'needs_reconnect',
      statusReason: 'access_revoked',
    })
    const support = await o.agent.get('/support').expect(200)
    expect(support.text).toContain('access revoked')
    await waitFor(
      'the needs_reconnect webhook',
      async () => hitsOf('connection.needs_reconnect', o).length === 1,
    )
    expect(JSON.parse(hitsOf('connection.needs_reconnect', o)[0]!.body)).toMatchObject({
      data: { reason: 'access_revoked' },
    })
  })
})

describe('order of events', () => {
  it('a failure or recovery seen for a connection that was reconnected meanwhile changes nothing', async () => {
    const o = await owner()
    const old = (await t.services.store.get(o.nexmo))!
    await connectNexmo(o.agent)
    const fresh = (await t.services.store.get(o.nexmo))!
    expect(fresh.generation).not.toBe(old.generation)
    const health = new ConnectionHealth(t.redis, { now: clock.now })
    expect(await health.degrade(old, 0)).toBeNull()
    expect(await health.markDead(old, 'access_revoked')).toBeNull()
    expect((await t.services.store.get(o.nexmo))!.status).toBe('connected')
  })

  it('a reconnect of a degraded connection clears its back-off', async () => {
    const o = await owner()
    t.sandbox.control.setFaults({ apiFails: true, failStatus: 503 })
    await o.agent.get('/dashboard').expect(200)
    t.sandbox.control.setFaults({ apiFails: false, failStatus: 500 })
    expect((await t.services.store.get(o.nexmo))!.status).toBe('degraded')
    await connectNexmo(o.agent)
    const after = (await t.services.store.get(o.nexmo))!
    expect(after.status).toBe('connected')
    expect(after.backoff).toBeUndefined()
    const page = (await o.agent.get('/dashboard').expect(200)).text
    expect(page.slice(page.indexOf('id="card-nexmo"'))).toContain('<span class="badge ok">connected</span>')
  })
})

describe('/metrics', () => {
  it('counts connections by status and reason, with no tenant label', async () => {
    const res = await supertest(t.app).get('/metrics').expect(200)
    const sample = (status: string, reason: string) =>
      Number(
        new RegExp(`^connections\\{status="${status}",reason="${reason}"\\} (\\d+)$`, 'm').exec(
          res.text,
        )?.[1],
      )
    // What the records of every connection made above say, counted one by one.
    const expected = new Map<string, number>()
    for (const o of owners)
      for (const ref of [o.sms77, o.nexmo]) {
        const r = (await t.services.store.get(ref))!
        const k = `${r.status}/${r.statusReason ?? ''}`
        expected.set(k, (expected.get(k) ?? 0) + 1)
      }
    expect(expected.get('needs_reconnect/grant_expired')).toBe(1)
    expect(expected.get('needs_reconnect/access_revoked')).toBe(1)
    expect(expected.get('degraded/provider_unavailable')).toBeGreaterThan(0)
    for (const [status, reason] of [
      ['connected', ''],
      ['degraded', 'provider_unavailable'],
      ['needs_reconnect', 'grant_expired'],
      ['needs_reconnect', 'access_revoked'],
    ] as const)
      expect(sample(status, reason)).toBe(expected.get(`${status}/${reason}`) ?? 0)
    expect(res.text).not.toMatch(/^connections\{[^}]*tenant/m)
  })
})
