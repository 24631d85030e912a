import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { api, createApiKey, smsSent, tenantWithConnections, type ApiTenant } from './helpers/api.js'

// Every API route that names a connection, called with another tenant's key: always 404
// (never 403, so ids cannot be probed), and nothing reaches the provider.
let t: TestApp
let a: ApiTenant
let b: ApiTenant
beforeAll(async () => {
  t = await startTestApp({ name: 'api-isolation' })
  a = await tenantWithConnections(t, 'Tenant A')
  b = await tenantWithConnections(t, 'Tenant B')
})
afterAll(() => t.close())

const ROUTES = [
  {
    name: 'GET /connections/:id',
    call: (key: string, id: string) => api(t.app, key).get(`/api/v1/connections/${id}`),
    ok: 200,
  },
  {
    name: 'POST /connections/:id/messages',
    call: (key: string, id: string) =>
      api(t.app, key)
        .post(`/api/v1/connections/${id}/messages`)
        .set('Idempotency-Key', `iso-${id}-${key.slice(-6)}`)
        .send({ to: '+491701234567', text: 'isolation' }),
    ok: 201,
  },
] as const

describe('tenant API isolation', () => {
  for (const route of ROUTES)
    for (const provider of ['sms77', 'nexmo'] as const)
      it(`${route.name} (${provider}): another tenant’s key gets 404, its own key gets ${route.ok}`, async () => {
        const before = smsSent(t)
        const foreign = await route.call(b.key, a.ids[provider])
        expect(foreign.status).toBe(404)
        expect(foreign.body.type).toBe('http://switchboard.test/api/docs#problem-not_found')
        expect(smsSent(t)).toBe(before)
        const own = await route.call(a.key, a.ids[provider])
        expect(own.status).toBe(route.ok)
      })

  it('GET /connections lists only the key’s own tenant', async () => {
    const listA = await api(t.app, a.key).get('/api/v1/connections').expect(200)
    const listB = await api(t.app, b.key).get('/api/v1/connections').expect(200)
    const idsA = listA.body.data.map((c: { id: string }) => c.id).sort()
    const idsB = listB.body.data.map((c: { id: string }) => c.id).sort()
    expect(idsA).toEqual(Object.values(a.ids).sort())
    expect(idsB).toEqual(Object.values(b.ids).sort())
    expect(listB.body.data.every((c: { user: { email: string } }) => c.user.email === b.email)).toBe(true)
  })

  it('a cursor from one tenant walks only the other tenant’s own list', async () => {
    const page = await api(t.app, a.key).get('/api/v1/connections?limit=1').expect(200)
    const res = await api(t.app, b.key).get(`/api/v1/connections?cursor=${page.body.next_cursor}`).expect(200)
    for (const c of res.body.data) expect(Object.values(b.ids)).toContain(c.id)
  })

  it('a key without the scope still gets 404, not 403, for another tenant’s connection', async () => {
    const readOnly = await createApiKey(b.admin, 'reader', ['read'])
    await api(t.app, readOnly)
      .post(`/api/v1/connections/${a.ids.sms77}/messages`)
      .set('Idempotency-Key', 'x')
      .send({ to: '+491701234567', text: 'x' })
      .expect(404)
  })
})
