import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { api, smsSent, tenantWithConnections, type ApiTenant } from './helpers/api.js'
import { createMetrics } from '../src/ops/metrics.js'

let t: TestApp
let a: ApiTenant
const metrics = createMetrics()
beforeAll(async () => {
  t = await startTestApp({
    name: 'api-messages',
    deps: { metrics, api: { limits: { points: 40, durationSec: 60 } } },
  })
  a = await tenantWithConnections(t, 'Sender Co')
})
afterAll(() => t.close())

const send = (key: string, id: string, idemKey: string | null, body: object) => {
  const req = api(t.app, key).post(`/api/v1/connections/${id}/messages`)
  return (idemKey === null ? req : req.set('Idempotency-Key', idemKey)).send(body)
}

describe('tenant API: messages', () => {
  it('sends one SMS and answers 201 with E.164, parts and the total cost', async () => {
    const before = smsSent(t)
    const res = await send(a.key, a.ids.sms77, 'first', { to: '+49 170 1234567', text: 'Hello' }).expect(201)
    expect(res.body).toEqual({
      id: expect.any(String),
      provider: 'sms77',
      to: '+491701234567',
      parts: 1,
      cost: { amount: expect.any(Number), currency: 'EUR' },
      status: 'accepted',
      sentBy: 'Sender Co system',
    })
    expect(smsSent(t)).toBe(before + 1)
    const long = await send(a.key, a.ids.nexmo, 'long', { to: '+491701234567', text: 'x'.repeat(200) })
    expect(long.status).toBe(201)
    expect(long.body.parts).toBe(2)
  })

  it('answers the same key and body again without sending, and 422 for another body', async () => {
    const body = { to: '+491701234567', text: 'Once only', from: 'Shop' }
    const first = await send(a.key, a.ids.sms77, 'replay-1', body).expect(201)
    const before = smsSent(t)
    const again = await send(a.key, a.ids.sms77, 'replay-1', body).expect(201)
    expect(again.body).toEqual(first.body)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(smsSent(t)).toBe(before)
    const other = await send(a.key, a.ids.sms77, 'replay-1', { ...body, text: 'Twice' }).expect(422)
    expect(other.body.type).toBe('http://switchboard.test/api/docs#problem-idempotency_key_reused')
    expect(smsSent(t)).toBe(before)
  })

  it('sends once for two identical requests at the same moment', async () => {
    const before = smsSent(t)
    const body = { to: '+491701234567', text: 'Concurrent' }
    const [x, y] = await Promise.all([
      send(a.key, a.ids.sms77, 'same-moment', body),
      send(a.key, a.ids.sms77, 'same-moment', body),
    ])
    expect([x.status, y.status]).toEqual([201, 201])
    expect(x.body).toEqual(y.body)
    expect(smsSent(t)).toBe(before + 1)
  })

  it('requires an Idempotency-Key, a valid body and a possible number', async () => {
    const before = smsSent(t)
    const missing = await send(a.key, a.ids.sms77, null, { to: '+491701234567', text: 'x' }).expect(400)
    expect(missing.body.code).toBe('idempotency_key_missing')
    await send(a.key, a.ids.sms77, 'bad-body', { to: '+491701234567' }).expect(400)
    const impossible = await send(a.key, a.ids.sms77, 'bad-number', { to: '+12', text: 'x' }).expect(422)
    expect(impossible.body.type).toBe('http://switchboard.test/api/docs#problem-invalid_phone_number')
    expect(smsSent(t)).toBe(before)
  })

  it('answers 409 when the connection needs a reconnect', async () => {
    const b = await tenantWithConnections(t, 'Broken Co')
    t.sandbox.control.revokeNexmoAccessTokens()
    const res = await send(b.key, b.ids.nexmo, 'dead', { to: '+491701234567', text: 'x' }).expect(409)
    expect(res.body.type).toBe('http://switchboard.test/api/docs#problem-needs_reconnect')
    await api(t.app, b.key).get(`/api/v1/connections/${b.ids.nexmo}`).expect(409)
    const list = await api(t.app, b.key).get('/api/v1/connections?status=needs_reconnect').expect(200)
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([b.ids.nexmo])
  })

  it('audits every call under the key’s name, never the text, and counts it in /metrics', async () => {
    await send(a.key, a.ids.sms77, 'audited', { to: '+491701234567', text: 'secret words' }).expect(201)
    await expect
      .poll(async () => (await a.admin.get('/admin/audit')).text, { timeout: 2000 })
      .toContain('POST /api/v1/connections/:id/messages → 201')
    const audit = await a.admin.get('/admin/audit')
    expect(audit.text).toContain('API key “Sender Co system”')
    expect(audit.text).not.toContain('secret words')
    const text = await metrics.registry.metrics()
    expect(text).toMatch(/api_calls_total\{route="\/api\/v1\/connections\/:id\/messages",status="201"\} \d+/)
  })

  it('limits each key on its own: 429 with Retry-After', async () => {
    const c = await tenantWithConnections(t, 'Busy Co')
    let res = await api(t.app, c.key).get('/api/v1/connections')
    for (let i = 0; i < 45 && res.status === 200; i++)
      res = await api(t.app, c.key).get('/api/v1/connections')
    expect(res.status).toBe(429)
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
    expect(res.body.type).toBe('http://switchboard.test/api/docs#problem-rate_limited')
    await api(t.app, a.key).get('/api/v1/connections').expect(200)
  })
})
