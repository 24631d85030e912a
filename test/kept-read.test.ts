import supertest from 'supertest'
import type { Express } from 'express'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { createApp } from '../src/boot/app.js'
import { createLogger } from '../src/logging/logger.js'
import { KeptRead } from '../src/connections/kept-read.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import type { RedisClient } from '../src/redis/client.js'
import { keptReadKey } from '../src/redis/keys.js'
import { signUp, secondInstance, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { api, createApiKey } from './helpers/api.js'
import { connectNexmo, connectSms77, reconnectNexmo } from './helpers/flows.js'
import { waitFor } from './helpers/redis-server.js'

// Issue 30: one kept read per connection for every caller, on every instance.
let t: TestApp
let second: Express
let secondRedis: RedisClient

interface Owner {
  agent: Agent
  key: string
  sms77: ConnectionRef
  nexmo: ConnectionRef
}

beforeAll(async () => {
  t = await startTestApp({ name: 'kept-read' })
  ;({ app: second, redis: secondRedis } = await secondInstance(t))
})
afterEach(() => t.sandbox.control.setFaults({ apiLatencyMs: 0 }))
afterAll(async () => {
  await t.close()
  secondRedis.disconnect()
})

async function owner(): Promise<Owner> {
  const { agent, email } = await signUp(t.app)
  await connectSms77(t, agent, ['balance', 'sms'])
  await connectNexmo(agent)
  const key = await createApiKey(agent, 'poller', ['read', 'send'])
  const userId = (await t.services.users.findForLogin(email))!.user.id
  const tenantId = (await t.services.users.findForLogin(email))!.user.tenantId
  return {
    agent,
    key,
    sms77: { tenantId, userId, provider: 'sms77' },
    nexmo: { tenantId, userId, provider: 'nexmo' },
  }
}

const idOf = (ref: ConnectionRef) => `${ref.provider}_${ref.userId}`
const meCalls = () => t.sandbox.control.stats.sms77.meCalls
/** The one read's lock is taken right before the provider is called: the read is under way. */
const readUnderWay = (ref: ConnectionRef) =>
  waitFor('the read to be under way', async () => (await t.redis.exists(keptReadKey(ref, ':lock'))) === 1)

describe('the kept read', () => {
  it('48 parallel API reads of one connection on two instances cost the provider at most 2 reads', async () => {
    const o = await owner()
    await t.services.kept.clear(o.sms77)
    t.sandbox.control.setFaults({ apiLatencyMs: 150 })
    const before = meCalls()
    const apps = [t.app, second]
    const answers = await Promise.all(
      Array.from({ length: 48 }, (_, i) =>
        supertest(apps[i % 2]!)
          .get(`/api/v1/connections/${idOf(o.sms77)}`)
          .set('Authorization', `Bearer ${o.key}`),
      ),
    )
    expect(answers.map((a) => a.status)).toEqual(Array(48).fill(200))
    expect(meCalls() - before).toBeGreaterThanOrEqual(1)
    expect(meCalls() - before).toBeLessThanOrEqual(2)
    // Every reader got the provider's read time, not its own.
    const readAts = new Set(answers.map((a) => a.body.balance.readAt))
    expect(readAts.size).toBeLessThanOrEqual(2)
    // The next reads within 30 s are kept: no provider call, the same answer on both instances.
    const again = await api(second, o.key)
      .get(`/api/v1/connections/${idOf(o.sms77)}`)
      .expect(200)
    expect(readAts).toContain(again.body.balance.readAt)
    expect(meCalls() - before).toBeLessThanOrEqual(2)
    // The read that held the lock let it go with its write.
    expect(await t.redis.exists(keptReadKey(o.sms77, ':lock'))).toBe(0)
  })

  it('the dashboard’s Balance panel is the kept read’s balance: one /me, no /balance, the API’s amount', async () => {
    const o = await owner()
    await t.services.kept.clear(o.sms77)
    await t.services.cache.clear(o.sms77.tenantId, o.sms77.userId, ['sms77'])
    const balanceCalls = () => t.sandbox.control.stats.sms77.apiCalls.balance ?? 0
    const [me, balance] = [meCalls(), balanceCalls()]
    const page = await o.agent.get('/dashboard').expect(200)
    expect(meCalls() - me).toBe(1)
    expect(balanceCalls() - balance).toBe(0)
    const panel = /aria-labelledby="panel-sms77-balance card-sms77">[\s\S]*?<\/section>/.exec(page.text)![0]
    expect(panel).not.toContain('role="alert"')
    // The API answers from the same kept read: no provider call, and the amount the panel shows.
    const read = await api(t.app, o.key)
      .get(`/api/v1/connections/${idOf(o.sms77)}`)
      .expect(200)
    expect(meCalls() - me).toBe(1)
    const { amount, currency } = read.body.balance as { amount: number; currency: string }
    const shown = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    expect(panel).toContain(`${shown.format(amount)} ${currency}`)
  })

  it('lists the last known balance and company of each connection, never null once read', async () => {
    const o = await owner()
    const list = await api(t.app, o.key).get('/api/v1/connections').expect(200)
    const sms77 = list.body.data.find((c: { provider: string }) => c.provider === 'sms77')
    expect(sms77.account.company).toEqual(expect.any(String))
    expect(sms77.balance).toEqual({ amount: expect.any(Number), currency: 'EUR', readAt: expect.any(String) })
    const nexmo = list.body.data.find((c: { provider: string }) => c.provider === 'nexmo')
    expect(nexmo.balance).toEqual({ amount: expect.any(Number), currency: 'EUR', readAt: expect.any(String) })
  })

  it('a disconnect while a read is under way: the read answers 404, and nothing is kept', async () => {
    const o = await owner()
    await t.services.kept.clear(o.nexmo)
    t.sandbox.control.setFaults({ apiLatencyMs: 300 })
    const reading = api(t.app, o.key)
      .get(`/api/v1/connections/${idOf(o.nexmo)}`)
      .then((r) => r)
    await readUnderWay(o.nexmo)
    expect(await t.services.connections.disconnect(o.nexmo)).toBe(true)
    expect((await reading).status).toBe(404)
    expect((await t.services.kept.peek(o.nexmo)).read).toBeUndefined()
    await api(second, o.key)
      .get(`/api/v1/connections/${idOf(o.nexmo)}`)
      .expect(404)
  })

  it('a reconnect to another account while a read is under way: the read answers the new account', async () => {
    const o = await owner()
    const old = (await t.services.store.get(o.nexmo))!.grant.accountId
    await t.services.kept.clear(o.nexmo)
    // Slow enough that the whole reconnect flow fits into the read.
    t.sandbox.control.setFaults({ apiLatencyMs: 2_000 })
    const reading = t.services.kept.read(o.nexmo)
    await readUnderWay(o.nexmo)
    await reconnectNexmo(o.agent)
    expect(await t.redis.exists(keptReadKey(o.nexmo, ':lock'))).toBe(1)
    const now = (await t.services.store.get(o.nexmo))!.grant.accountId
    expect(now).not.toBe(old)
    expect((await reading).profile.accountId).toBe(now)
    expect((await t.services.kept.peek(o.nexmo)).read?.profile.accountId).toBe(now)
  })

  it('a send refreshes the balance: the next read is the provider’s, after the send', async () => {
    const o = await owner()
    const id = idOf(o.sms77)
    // The owner's page is kept (and its panels cached) before the send.
    await o.agent.get('/dashboard').expect(200)
    await o.agent.get('/dashboard').expect(200)
    const first = await api(t.app, o.key).get(`/api/v1/connections/${id}`).expect(200)
    await api(second, o.key)
      .post(`/api/v1/connections/${id}/messages`)
      .set('Idempotency-Key', 'kept-read-send')
      .send({ to: '+49 170 1234567', text: 'Hello' })
      .expect(201)
    const before = meCalls()
    const after = await api(t.app, o.key).get(`/api/v1/connections/${id}`).expect(200)
    expect(meCalls()).toBe(before + 1)
    expect(after.body.balance.amount).toBeLessThan(first.body.balance.amount)
    expect(Date.parse(after.body.balance.readAt)).toBeGreaterThan(Date.parse(first.body.balance.readAt))
    // The dashboard shows the same read: no second provider call, and not the balance of
    // before the send, though its page was kept before it.
    const page = await o.agent.get('/dashboard').expect(200)
    expect(meCalls()).toBe(before + 1)
    const shown =
      /aria-labelledby="panel-sms77-balance card-sms77">[\s\S]*?<p class="stat-big">([^<]*)</.exec(
        page.text,
      )![1]
    const two = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
    expect(shown).toBe(`${two.format(after.body.balance.amount)} EUR`)
  })

  it('support finds an account by the company any caller read, before support opened it', async () => {
    const o = await owner()
    const search = (q: string) =>
      t.services.supportIndex.page(o.sms77.tenantId, { search: q, sort: 'recent', offset: 0, limit: 10 })
    // Connecting read the account (the dashboard after the consent page); support never opened.
    expect((await search('Acme Inc')).members).toEqual([`${o.sms77.userId}:sms77`])
  })

  it('a read that failed is not waited for: the others are answered from the last known data', async () => {
    const o = await owner()
    const known = await api(t.app, o.key)
      .get(`/api/v1/connections/${idOf(o.sms77)}`)
      .expect(200)
    await t.services.kept.clear(o.sms77)
    t.sandbox.control.setFaults({ apiFails: true, failStatus: 503 })
    try {
      const before = meCalls()
      const started = Date.now()
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          api(i % 2 ? second : t.app, o.key).get(`/api/v1/connections/${idOf(o.sms77)}`),
        ),
      )
      expect(Date.now() - started).toBeLessThan(3_000)
      for (const a of answers) {
        expect(a.status).toBe(200)
        expect(a.body.status).toBe('degraded')
        expect(a.body.balance).toEqual(known.body.balance)
      }
      expect(meCalls() - before).toBeLessThanOrEqual(2)
      expect(await t.redis.exists(keptReadKey(o.sms77, ':lock'))).toBe(0)
    } finally {
      t.sandbox.control.setFaults({ apiFails: false, failStatus: 500 })
    }
  })
})

describe('a kept API answer in one round trip', () => {
  it('reads the kept answer beside the rate limit, and still refuses by scope and by limit', async () => {
    const o = await owner()
    const path = `/api/v1/connections/${idOf(o.sms77)}`
    await api(t.app, o.key).get(path).expect(200) // a kept answer now exists
    const order: string[] = []
    const [keptBody, consume] = [KeptRead.prototype.keptBody, RateLimiterRedis.prototype.consume]
    const bodySpy = vi.spyOn(KeptRead.prototype, 'keptBody').mockImplementation(function (
      this: KeptRead,
      ref,
    ) {
      order.push('kept body sent')
      return keptBody.call(this, ref)
    })
    const limitSpy = vi.spyOn(RateLimiterRedis.prototype, 'consume').mockImplementation(async function (
      this: RateLimiterRedis,
      ...args
    ) {
      order.push('limit sent')
      const taken = await consume.apply(this, args)
      order.push('limit answered')
      return taken
    })
    try {
      const res = await api(t.app, o.key).get(path).expect(200)
      expect(res.body.id).toBe(idOf(o.sms77))
      // Both sent before the limit's answer came back: one round trip for the call.
      expect(order.indexOf('kept body sent')).toBeGreaterThanOrEqual(0)
      expect(order.indexOf('kept body sent')).toBeLessThan(order.indexOf('limit answered'))
      expect(bodySpy).toHaveBeenCalledTimes(1)
    } finally {
      bodySpy.mockRestore()
      limitSpy.mockRestore()
    }
    // Read early or not, a key without `read` is refused, and a key over its limit too.
    const sendOnly = await createApiKey(o.agent, 'sender', ['send'])
    await api(t.app, sendOnly).get(path).expect(403)
    const once = await createApiKey(o.agent, 'once', ['read'])
    const deps = { config: t.config, redis: t.redis, logger: createLogger('silent') }
    const limited = createApp({ ...deps, api: { limits: { points: 1, durationSec: 60 } } }, t.services)
    await api(limited, once).get(path).expect(200)
    const refused = await api(limited, once).get(path).expect(429)
    expect(refused.body.balance).toBeUndefined()
  })
})
