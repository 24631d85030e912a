import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, startTestApp, type TestApp } from './helpers/app.js'
import { keysUnder } from './helpers/redis.js'
import { api, createApiKey, tenantWithConnections, type ApiTenant } from './helpers/api.js'

let t: TestApp
let a: ApiTenant
beforeAll(async () => {
  t = await startTestApp({ name: 'api' })
  a = await tenantWithConnections(t, 'Api Co')
})
afterAll(() => t.close())

const problemOf = (res: { headers: Record<string, string>; body: { type: string; status: number } }) => ({
  contentType: res.headers['content-type'],
  type: res.body.type,
  status: res.body.status,
})

describe('tenant API: keys', () => {
  it('keeps only a hash of the key: the key appears in no Redis key or value', async () => {
    const keys = await keysUnder(t.prefix)
    expect(keys.join('\n')).not.toContain(a.key)
    for (const k of keys.filter((k) => k.includes('api-keys'))) {
      const values = await t.redis.hgetall(k)
      expect(JSON.stringify(values)).not.toContain(a.key)
    }
    expect(a.key).toMatch(/^sbk_[A-Za-z0-9_-]{43}$/)
  })

  it('lists keys with name, scopes, created and last used, each with a Revoke form that asks first', async () => {
    const page = await a.admin.get('/admin/api-keys').expect(200)
    expect(page.text).toContain('Api Co system')
    expect(page.text).toContain('read, send')
    expect(page.text).toMatch(/data-confirm="Revoke the API key/)
    expect(page.text).toContain('>Revoke</button>')
    expect(page.text).not.toContain(a.key)
  })

  it('answers 401 problem+json without a key, with an unknown key and with a revoked one', async () => {
    const none = await api(t.app).get('/api/v1/connections').expect(401)
    expect(problemOf(none)).toEqual({
      contentType: 'application/problem+json; charset=utf-8',
      type: 'http://switchboard.test/api/docs#problem-invalid_api_key',
      status: 401,
    })
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/)
    await api(t.app, `sbk_${'x'.repeat(43)}`)
      .get('/api/v1/connections')
      .expect(401)
    const doomed = await createApiKey(a.admin, 'doomed', ['read'])
    await api(t.app, doomed).get('/api/v1/connections').expect(200)
    const page = await a.admin.get('/admin/api-keys')
    const id = /action="\/admin\/api-keys\/([a-f0-9]{16})\/revoke"[^>]*doomed/.exec(page.text)?.[1]
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!
    await a.admin.post(`/admin/api-keys/${id}/revoke`).type('form').send({ _csrf: csrf }).expect(303)
    await api(t.app, doomed).get('/api/v1/connections').expect(401)
    const audit = await a.admin.get('/admin/audit').expect(200)
    expect(audit.text).toContain('revoked API key “doomed”')
    expect(audit.text).toContain('created API key “doomed” (read)')
  })

  it('answers 403 for a missing scope', async () => {
    const readOnly = await createApiKey(a.admin, 'reader', ['read'])
    const res = await api(t.app, readOnly)
      .post(`/api/v1/connections/${a.ids.sms77}/messages`)
      .set('Idempotency-Key', 'k-403')
      .send({ to: '+491701234567', text: 'hi' })
      .expect(403)
    expect(res.body.type).toBe('http://switchboard.test/api/docs#problem-insufficient_scope')
    const sendOnly = await createApiKey(a.admin, 'sender', ['send'])
    await api(t.app, sendOnly).get('/api/v1/connections').expect(403)
  })
})

describe('tenant API: connections', () => {
  it('lists the tenant’s connections without making a session or a cookie', async () => {
    const res = await api(t.app, a.key).get('/api/v1/connections').expect(200)
    expect(res.headers['set-cookie']).toBeUndefined()
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    const sms77 = res.body.data.find((c: { provider: string }) => c.provider === 'sms77')
    expect(sms77).toEqual({
      id: a.ids.sms77,
      owner: { type: 'user', email: a.email },
      user: { email: a.email },
      provider: 'sms77',
      status: 'connected',
      statusReason: null,
      account: { label: expect.any(String), name: null, company: sms77.account.company },
      balance: sms77.balance,
    })
    expect(res.body.next_cursor).toBeNull()
  })

  it('gives the owner’s name for a connection once it is named, in the list and for one', async () => {
    await a.admin
      .post('/connections/nexmo/name')
      .type('form')
      .send({ _csrf: await csrfOf(a.admin), name: 'Support line' })
      .expect(303)
    const one = await api(t.app, a.key).get(`/api/v1/connections/${a.ids.nexmo}`).expect(200)
    expect(one.body.account.name).toBe('Support line')
    const list = await api(t.app, a.key).get('/api/v1/connections?provider=nexmo').expect(200)
    expect(list.body.data.map((c: { account: { name: string } }) => c.account.name)).toEqual(['Support line'])
  })

  it('pages with a cursor and filters by provider and status', async () => {
    const first = await api(t.app, a.key).get('/api/v1/connections?limit=1').expect(200)
    expect(first.body.data).toHaveLength(1)
    expect(first.body.next_cursor).toEqual(expect.any(String))
    const second = await api(t.app, a.key)
      .get(`/api/v1/connections?limit=1&cursor=${first.body.next_cursor}`)
      .expect(200)
    expect(second.body.data).toHaveLength(1)
    expect(second.body.data[0].id).not.toBe(first.body.data[0].id)
    expect(second.body.next_cursor).toBeNull()
    const nexmo = await api(t.app, a.key).get('/api/v1/connections?provider=nexmo').expect(200)
    expect(nexmo.body.data.map((c: { id: string }) => c.id)).toEqual([a.ids.nexmo])
    const broken = await api(t.app, a.key).get('/api/v1/connections?status=needs_reconnect').expect(200)
    expect(broken.body).toEqual({ data: [], next_cursor: null })
    await api(t.app, a.key).get('/api/v1/connections?cursor=bogus').expect(400)
    await api(t.app, a.key).get('/api/v1/connections?limit=1000').expect(400)
  })

  it('reads one connection’s balance through its kept read; ?fresh=true reads now, once per 10 s', async () => {
    // sms77's balance comes with /me; the listing before read it and kept it.
    const me = () => t.sandbox.control.stats.sms77.meCalls
    const before = me()
    const res = await api(t.app, a.key).get(`/api/v1/connections/${a.ids.sms77}`).expect(200)
    expect(res.body.balance).toEqual({
      amount: expect.any(Number),
      currency: 'EUR',
      readAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    })
    expect(Date.now() - Date.parse(res.body.balance.readAt)).toBeLessThan(30_000)
    const again = await api(t.app, a.key).get(`/api/v1/connections/${a.ids.sms77}`).expect(200)
    expect(again.body).toEqual(res.body)
    expect(me()).toBeLessThanOrEqual(before + 1)
    const read = me()
    const fresh = await api(t.app, a.key).get(`/api/v1/connections/${a.ids.sms77}?fresh=true`).expect(200)
    expect(me()).toBe(read + 1)
    expect(Date.parse(fresh.body.balance.readAt)).toBeGreaterThan(Date.parse(res.body.balance.readAt))
    const refused = await api(t.app, a.key).get(`/api/v1/connections/${a.ids.sms77}?fresh=true`).expect(429)
    expect(refused.headers['content-type']).toContain('application/problem+json')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(me()).toBe(read + 1)
    await api(t.app, a.key).get('/api/v1/connections/sms77_0123456789abcdef01234567').expect(404)
    await api(t.app, a.key).get('/api/v1/connections/..%2Fadmin').expect(404)
  })

  it('answers one connection as JSON with its length, never kept and without an ETag; HEAD without the body', async () => {
    const path = `/api/v1/connections/${a.ids.sms77}`
    const res = await api(t.app, a.key).get(path).expect(200)
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text))
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers.etag).toBeUndefined()
    expect(res.headers['ratelimit-remaining']).toMatch(/^\d+$/)
    expect(res.body.id).toBe(a.ids.sms77)
    const head = await api(t.app, a.key).head(path).expect(200)
    expect(head.headers['content-length']).toBe(res.headers['content-length'])
    expect(head.text ?? '').toBe('')
  })

  it('answers 404 problem+json for an unknown API route', async () => {
    const res = await api(t.app, a.key).get('/api/v1/nothing').expect(404)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  })
})
