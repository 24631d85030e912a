import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'isolation' })
})
afterAll(() => t.close())

describe('tenant isolation', () => {
  it('one tenant’s user never reads or removes another tenant’s connection', async () => {
    const a = await signUp(t.app, 'Tenant A')
    await connectSms77(t, a.agent)
    const b = await signUp(t.app, 'Tenant B')
    const dashB = await b.agent.get('/dashboard').expect(200)
    expect(dashB.text).not.toContain('john.doe@acme.inc')
    expect(dashB.text).toContain('No account connected yet')
    await b.agent
      .post('/disconnect/sms77')
      .type('form')
      .send({ _csrf: await csrfOf(b.agent) })
      .expect(303)
    const dashA = await a.agent.get('/dashboard').expect(200)
    expect(dashA.text).toContain('john.doe@acme.inc')
    expect(dashA.text).toContain('<span class="badge ok">connected</span>')
  })

  it('ids in a URL are never trusted: unknown providers are a 404', async () => {
    const a = await signUp(t.app)
    const csrf = await csrfOf(a.agent)
    await a.agent.post('/disconnect/__proto__').type('form').send({ _csrf: csrf }).expect(404)
    await a.agent.post('/connect/constructor').type('form').send({ _csrf: csrf }).expect(404)
  })

  it('disconnect deletes the tokens and the dashboard offers Connect again', async () => {
    const a = await signUp(t.app)
    await connectSms77(t, a.agent)
    const res = await a.agent
      .post('/disconnect/sms77')
      .type('form')
      .send({ _csrf: await csrfOf(a.agent) })
      .expect(303)
    expect(res.headers.location).toBe('/dashboard')
    const dash = await a.agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('sms77 disconnected')
    expect(dash.text).toContain('Connect sms77')
    const user = (await t.services.users.findForLogin(a.email))!.user
    expect(
      await t.services.store.get({ tenantId: user.tenantId, userId: user.id, provider: 'sms77' }),
    ).toBeNull()
    const left = await t.redis.keys(`${t.prefix}*:conn:${user.id}:*`)
    // Only the kept read's fence stays (connections/kept-read.ts): no read, no token, gone within 2 minutes.
    expect(left.map((k) => k.replace(/^.*:conn:[^:]+:/, ''))).toEqual(['sms77:kept'])
    const fence = left[0]!.slice(t.prefix.length)
    expect(Object.keys(await t.redis.hgetall(fence)).sort()).toEqual(['e', 's'])
    expect(await t.redis.pttl(fence)).toBeLessThanOrEqual(120_000)
  })
})
