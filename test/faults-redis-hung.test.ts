import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { createRedis } from '../src/redis/client.js'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { freePort, startRedisServer, waitFor, type RedisServer } from './helpers/redis-server.js'
import { api, createApiKey } from './helpers/api.js'
import { connectSms77 } from './helpers/flows.js'
import { keptReadKey } from '../src/redis/keys.js'

/**
 * Redis that hangs: the process is stopped (SIGSTOP), so connections stay open and no answer
 * ever comes. Every request must still be answered within 10 s (the contract's "Redis
 * trouble"), and the app must recover by itself once Redis runs again (SIGCONT).
 * A throwaway server of this file's own: the shared one is never stopped.
 */
const LIMIT_MS = 10_000
let server: RedisServer
let t: TestApp
let agent: Agent
let email: string
let csrf: string
let stopped = false

const signal = (sig: 'SIGSTOP' | 'SIGCONT') => {
  process.kill(server.proc.pid!, sig)
  stopped = sig === 'SIGSTOP'
}

/** Runs a request and returns its answer with how long it took. */
async function timed<T>(send: () => PromiseLike<T>): Promise<{ res: T; ms: number }> {
  const started = Date.now()
  const res = await send()
  return { res, ms: Date.now() - started }
}

beforeAll(async () => {
  server = await startRedisServer(await freePort())
  t = await startTestApp({
    name: 'hung',
    openRedis: async (prefix) => {
      const redis = createRedis(`redis://127.0.0.1:${server.port}`, prefix)
      redis.on('error', () => {}) // timeouts while the server is stopped, expected here
      await redis.connect()
      return redis
    },
  })
  ;({ agent, email } = await signUp(t.app, 'Hung Org'))
  csrf = await csrfOf(agent)
}, 30_000)

afterAll(async () => {
  if (stopped) signal('SIGCONT')
  await t?.close()
  await server?.stop()
})

describe('Redis that stops answering', () => {
  it('answers every request with a 503 within 10 s, and recovers after SIGCONT', async () => {
    await agent.get('/dashboard').expect(200)
    signal('SIGSTOP')

    const page = await timed(() => agent.get('/dashboard').timeout(LIMIT_MS + 5_000))
    expect(page.res.status).toBe(503)
    expect(page.ms).toBeLessThan(LIMIT_MS)
    expect(page.res.headers['content-type']).toMatch(/text\/html/)
    expect(page.res.text).toContain('Temporarily unavailable')
    expect(page.res.text).toContain('cannot reach its data store')

    const json = await timed(() =>
      agent
        .get('/dashboard')
        .set('Accept', 'application/json')
        .timeout(LIMIT_MS + 5_000),
    )
    expect(json.ms).toBeLessThan(LIMIT_MS)
    expect({ status: json.res.status, body: json.res.body }).toEqual({
      status: 503,
      body: {
        error: 'service_unavailable',
        message: 'Switchboard cannot reach its data store right now. Please try again in a minute.',
      },
    })

    const login = await timed(() => agent.get('/login').timeout(LIMIT_MS + 5_000))
    expect(login.res.status).toBe(503)
    expect(login.ms).toBeLessThan(LIMIT_MS)

    const post = await timed(() =>
      agent
        .post('/dashboard/refresh')
        .type('form')
        .send({ _csrf: csrf })
        .timeout(LIMIT_MS + 5_000),
    )
    expect(post.res.status).toBe(503)
    expect(post.ms).toBeLessThan(LIMIT_MS)

    const ready = await timed(() => supertest(t.app).get('/readyz').timeout(LIMIT_MS))
    expect(ready.res.status).toBe(503)
    expect(ready.ms).toBeLessThan(LIMIT_MS)

    // Anonymous pages need no Redis, except the sign-in form: its CSRF token's session cannot
    // be saved, but express-session has sent the page by then (the form's POST would be
    // refused while Redis is still stopped).
    const anon404 = await timed(() => supertest(t.app).get('/nope').timeout(LIMIT_MS))
    expect(anon404.res.status).toBe(404)
    expect(anon404.ms).toBeLessThan(1_000)
    const anonLogin = await timed(() =>
      supertest(t.app)
        .get('/login')
        .timeout(LIMIT_MS + 5_000),
    )
    expect(anonLogin.res.status).toBe(200)
    expect(anonLogin.ms).toBeLessThan(LIMIT_MS)

    console.info(
      `hung Redis: dashboard ${page.ms} ms, json ${json.ms} ms, login ${login.ms} ms, ` +
        `post ${post.ms} ms, readyz ${ready.ms} ms, anonymous 404 ${anon404.ms} ms, ` +
        `anonymous /login ${anonLogin.ms} ms`,
    )

    signal('SIGCONT')
    await waitFor('/readyz to answer 200 again', async () => {
      return (await supertest(t.app).get('/readyz').timeout(5_000)).status === 200
    })
    const back = await agent.get('/dashboard').timeout(LIMIT_MS).expect(200)
    expect(back.text).toContain(email)
  }, 90_000)

  it('a kept read under way when Redis stops: answered within 10 s, and read again once Redis runs', async () => {
    await connectSms77(t, agent, ['balance'])
    const key = await createApiKey(agent, 'poller', ['read'])
    const { user } = (await t.services.users.findForLogin(email))!
    const ref = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' as const }
    const path = `/api/v1/connections/sms77_${user.id}`
    await t.services.kept.clear(ref)
    t.sandbox.control.setFaults({ apiLatencyMs: 1_000 })
    try {
      const reading = timed(() =>
        api(t.app, key)
          .get(path)
          .timeout(LIMIT_MS + 5_000),
      )
      await waitFor(
        'the read to hold its lock',
        async () => (await t.redis.exists(keptReadKey(ref, ':lock'))) === 1,
      )
      // The provider answers while Redis is stopped: the read can be neither kept nor released.
      signal('SIGSTOP')
      const during = await reading
      expect(during.ms).toBeLessThan(LIMIT_MS)
      expect(during.res.status).toBe(503)
    } finally {
      if (stopped) signal('SIGCONT')
      t.sandbox.control.setFaults({ apiLatencyMs: 0 })
    }
    await waitFor('/readyz to answer 200 again', async () => {
      return (await supertest(t.app).get('/readyz').timeout(5_000)).status === 200
    })
    // The lock the stopped read left behind is waited out (bounded), then read anew.
    const after = await timed(() =>
      api(t.app, key)
        .get(path)
        .timeout(LIMIT_MS + 5_000),
    )
    expect(after.res.status).toBe(200)
    expect(after.ms).toBeLessThan(LIMIT_MS)
    expect(after.res.body.balance).toEqual({
      amount: expect.any(Number),
      currency: 'EUR',
      readAt: expect.any(String),
    })
  }, 90_000)

  it('a kept listing when Redis stops: a 503 problem within 10 s, the same listing once it runs', async () => {
    const key = await createApiKey(agent, 'lister', ['read'])
    const { user } = (await t.services.users.findForLogin(email))!
    // The first listing may read a stale balance again; one after it is kept.
    let kept: string | undefined
    await waitFor('the listing kept', async () => {
      await api(t.app, key).get('/api/v1/connections').timeout(LIMIT_MS).expect(200)
      kept = (await t.services.listings.peek(user.tenantId, '')).body
      return kept !== undefined
    })
    signal('SIGSTOP')
    try {
      const during = await timed(() =>
        api(t.app, key)
          .get('/api/v1/connections')
          .timeout(LIMIT_MS + 5_000),
      )
      expect(during.ms).toBeLessThan(LIMIT_MS)
      expect(during.res.status).toBe(503)
      expect(during.res.headers['content-type']).toMatch(/^application\/problem\+json/)
    } finally {
      signal('SIGCONT')
    }
    await waitFor('/readyz to answer 200 again', async () => {
      return (await supertest(t.app).get('/readyz').timeout(5_000)).status === 200
    })
    const after = await api(t.app, key).get('/api/v1/connections').timeout(LIMIT_MS).expect(200)
    expect(after.body).toEqual(JSON.parse(kept!))
    // The read of the test before lost its index entry while Redis was stopped; the listing
    // shows the balance from the kept read itself.
    expect(after.body.data[0].balance).toEqual({
      amount: expect.any(Number),
      currency: 'EUR',
      readAt: expect.any(String),
    })
  }, 90_000)
})
