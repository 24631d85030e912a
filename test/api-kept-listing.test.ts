import type { Express } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeptListings } from '../src/api/kept-listing.js'
import { listedFreshUntil } from '../src/api/kept-connection.js'
import type { ConnectionView } from '../src/api/schemas.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import type { RedisClient } from '../src/redis/client.js'
import { keptListingsKey } from '../src/redis/tenant-api.js'
import { csrfOf, secondInstance, startTestApp, type TestApp } from './helpers/app.js'
import { api, createApiKey, tenantWithConnections, type ApiTenant } from './helpers/api.js'
import { reconnectNexmo } from './helpers/flows.js'
import { waitFor } from './helpers/redis-server.js'

// Issue 30: `GET /api/v1/connections` answered from a kept body while nothing it shows changed.
let t: TestApp
let second: Express
let secondRedis: RedisClient

beforeAll(async () => {
  t = await startTestApp({ name: 'kept-listing' })
  ;({ app: second, redis: secondRedis } = await secondInstance(t))
})
afterAll(async () => {
  await t.close()
  secondRedis.disconnect()
})

interface Listed {
  id: string
  provider: string
  user: { email: string | null }
  account: { label: string; name: string | null }
  balance: { amount: number; readAt: string } | null
}

async function tenant(org: string): Promise<ApiTenant & { tenantId: string; userId: string }> {
  const a = await tenantWithConnections(t, org)
  const { user } = (await t.services.users.findForLogin(a.email))!
  return { ...a, tenantId: user.tenantId, userId: user.id }
}

/** The kept answer of one query string, once the listing's keep has landed. */
async function keptOf(tenantId: string, query = ''): Promise<string> {
  let kept: string | null = null
  await waitFor(
    'the listing kept',
    async () => (kept = await t.redis.hget(keptListingsKey(tenantId), query)) !== null,
  )
  return kept!
}

const list = async (app: Express, key: string, query = '') =>
  (await api(app, key).get(`/api/v1/connections${query}`).expect(200)).body.data as Listed[]

describe('GET /api/v1/connections: the kept listing', () => {
  it('answers a repeated listing from its kept answer, the same JSON, on every instance', async () => {
    const a = await tenant('Kept Co')
    const built = await api(t.app, a.key).get('/api/v1/connections').expect(200)
    const kept = await keptOf(a.tenantId)
    expect(kept.slice(kept.lastIndexOf('\n', kept.indexOf('{')) + 1)).toBe(built.text)
    // What is answered next is what is kept: a marker put in its place comes back, on both instances.
    const marker = JSON.stringify({ data: [], next_cursor: 'kept' })
    await t.redis.hset(keptListingsKey(a.tenantId), '', kept.slice(0, kept.indexOf('{')) + marker)
    for (const app of [t.app, second]) {
      const res = await api(app, a.key).get('/api/v1/connections').expect(200)
      expect(res.text).toBe(marker)
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
      expect(res.headers.etag).toBeUndefined()
    }
    // Another query string is another answer.
    expect((await list(t.app, a.key, '?provider=nexmo')).map((c) => c.id)).toEqual([a.ids.nexmo])
  })

  it('a disconnect, a rename, an email change and a new balance read each retire it, on both instances', async () => {
    const a = await tenant('Retired Co')
    const ref = (provider: 'sms77' | 'nexmo'): ConnectionRef => ({
      tenantId: a.tenantId,
      userId: a.userId,
      provider,
    })
    const keptNow = async () => {
      await list(t.app, a.key)
      await keptOf(a.tenantId)
    }
    await keptNow()
    await a.admin
      .post('/connections/nexmo/name')
      .type('form')
      .send({ _csrf: await csrfOf(a.admin), name: 'Night line' })
      .expect(303)
    expect((await list(second, a.key)).find((c) => c.provider === 'nexmo')?.account.name).toBe('Night line')

    await keptNow()
    const user = (await t.services.users.get(a.tenantId, a.userId))!
    const email = `renamed-${a.userId}@example.test`
    expect(await t.services.users.changeEmail(user, email)).toBe(true)
    expect((await list(second, a.key)).map((c) => c.user.email)).toEqual([email, email])

    await keptNow()
    const readAt = Date.now()
    await t.services.supportIndex.recordBalance(ref('sms77'), {
      balance: { amount: 4.2, currency: 'EUR' },
      readAt,
    })
    const sms77 = (await list(t.app, a.key)).find((c) => c.provider === 'sms77')!
    expect(sms77.balance).toEqual({ amount: 4.2, currency: 'EUR', readAt: new Date(readAt).toISOString() })

    await keptNow()
    expect(await t.services.connections.disconnect(ref('nexmo'))).toBe(true)
    expect((await list(second, a.key)).map((c) => c.provider)).toEqual(['sms77'])
  })

  it('a refresh in the middle keeps it; a reconnect to another account retires it', async () => {
    const a = await tenant('Reconnect Co')
    const kept = async () => {
      await list(t.app, a.key)
      return keptOf(a.tenantId)
    }
    const before = await kept()
    // For sms77 a keep-alive check is a token refresh: nothing the listing shows changes.
    const sms77 = { tenantId: a.tenantId, userId: a.userId, provider: 'sms77' as const }
    const record = (await t.services.store.get(sms77))!
    expect(await t.services.connections.check(sms77)).toBe('checked')
    expect((await t.services.store.get(sms77))!.grant.secrets.accessToken).not.toBe(
      record.grant.secrets.accessToken,
    )
    expect((await t.services.listings.peek(a.tenantId, '')).body).toBe(before.slice(before.indexOf('{')))

    const nexmoLabel = async (app: Express) =>
      (await list(app, a.key)).find((c) => c.provider === 'nexmo')!.account.label
    const old = await nexmoLabel(t.app)
    await keptOf(a.tenantId)
    await reconnectNexmo(a.admin)
    const now = (await t.services.store.get({ ...sms77, provider: 'nexmo' }))!.grant.accountLabel
    expect(now).not.toBe(old)
    expect(await nexmoLabel(second)).toBe(now)
  })

  it('shows the kept read’s balance when the support index lost it', async () => {
    const a = await tenant('Lost Index Co')
    const sms77 = { tenantId: a.tenantId, userId: a.userId, provider: 'sms77' as const }
    const read = (await t.services.kept.peek(sms77)).read!
    // As when the read's follow-up failed (Redis away): the kept read has it, the index not.
    await t.services.supportIndex.removeConnection(sms77)
    const listed = (await list(second, a.key)).find((c) => c.provider === 'sms77')!
    expect(listed.balance).toEqual({ ...read.profile.balance, readAt: new Date(read.readAt).toISOString() })
  })

  it('a key without the read scope is refused even while the listing is kept', async () => {
    const a = await tenant('Scoped Co')
    await list(t.app, a.key)
    await keptOf(a.tenantId)
    const sender = await createApiKey(a.admin, 'sender', ['send'])
    const res = await api(t.app, sender).get('/api/v1/connections').expect(403)
    expect(res.body.type).toBe('http://switchboard.test/api/docs#problem-insufficient_scope')
    await api(t.app).get('/api/v1/connections').expect(401)
  })
})

describe('KeptListings', () => {
  const tenantId = `listing-${Date.now()}`
  const at = (now: number) => new KeptListings(t.redis, () => now)

  it('never keeps a listing built before a change: the version it was built at is gone', async () => {
    const listings = at(Date.now())
    const before = await listings.peek(tenantId, '')
    await listings.changed(tenantId)
    expect(await listings.keep(tenantId, '', before.version, Date.now() + 10_000, '{"a":1}')).toBe(false)
    expect(await t.redis.hget(keptListingsKey(tenantId), '')).toBeNull()
    const now = await listings.peek(tenantId, '')
    expect(now.version).not.toBe(before.version)
    expect(await listings.keep(tenantId, '', now.version, Date.now() + 10_000, '{"a":2}')).toBe(true)
    expect((await listings.peek(tenantId, '')).body).toBe('{"a":2}')
    // A change after keeping: the kept answer is not answered any more.
    await listings.changed(tenantId)
    expect((await listings.peek(tenantId, '')).body).toBeUndefined()
  })

  it('answers a kept listing only until its oldest balance is 30 s old, and at most 30 s', async () => {
    const now = Date.now()
    const { version } = await at(now).peek(tenantId, 'limit=1')
    expect(await at(now).keep(tenantId, 'limit=1', version, now + 5_000, '{"b":1}')).toBe(true)
    expect((await at(now + 4_999).peek(tenantId, 'limit=1')).body).toBe('{"b":1}')
    expect((await at(now + 5_000).peek(tenantId, 'limit=1')).body).toBeUndefined()
    await at(now).keep(tenantId, 'limit=1', version, now + 90_000, '{"b":2}')
    expect((await at(now + 29_999).peek(tenantId, 'limit=1')).body).toBe('{"b":2}')
    expect((await at(now + 30_000).peek(tenantId, 'limit=1')).body).toBeUndefined()
    expect(await t.redis.pttl(keptListingsKey(tenantId))).toBeLessThanOrEqual(30_000)
  })

  it('keeps at most 64 query strings per tenant, and none that is very long', async () => {
    const listings = at(Date.now())
    const { version } = await listings.peek(tenantId, '')
    for (let i = 0; i < 70; i++)
      await listings.keep(tenantId, `limit=${i}`, version, Date.now() + 9_000, '{}')
    expect(await t.redis.hlen(keptListingsKey(tenantId))).toBeLessThanOrEqual(64)
    expect((await listings.peek(tenantId, 'limit=69')).body).toBe('{}')
    const long = `cursor=${'x'.repeat(600)}`
    expect(await listings.keep(tenantId, long, version, Date.now() + 9_000, '{}')).toBe(false)
  })

  it('says until when a listing is fresh: its oldest balance plus 30 s, never while one is unread', () => {
    const view = (status: string, readAt?: number) =>
      ({
        status,
        balance: readAt ? { amount: 1, currency: 'EUR', readAt: new Date(readAt).toISOString() } : null,
      }) as ConnectionView
    const now = 1_000_000
    expect(listedFreshUntil([view('connected', now - 10_000), view('degraded', now - 20_000)], now)).toBe(
      now + 10_000,
    )
    expect(listedFreshUntil([view('connected', now - 10_000), view('connected')], now)).toBeUndefined()
    expect(listedFreshUntil([view('connected', now - 30_000)], now)).toBeUndefined()
    // A connection that needs reconnecting is never read, so it never holds a listing back.
    expect(listedFreshUntil([view('needs_reconnect'), view('connected', now - 1_000)], now)).toBe(
      now + 29_000,
    )
    expect(listedFreshUntil([], now)).toBe(now + 30_000)
  })
})
