import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { beginSms77, connectNexmo } from './helpers/flows.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'log-secrets', deps: { panelCacheTtlSec: 0 } })
})
afterAll(() => t.close())

describe('logs', () => {
  it('carry no token, code, verifier, password, cookie or client secret through a whole connect-refresh-send flow', async () => {
    const password = 'a very secret password 42'
    const { agent, email } = await signUp(t.app, 'Log Org', undefined, password)
    const authorize = await beginSms77(agent, ['balance', 'sms'])
    const consent = await pressConsent(authorize.toString(), 'Allow')
    const callback = new URL(consent.location)
    await agent.get(pathOf(consent.location)).expect(303)
    await connectNexmo(agent)
    const user = (await t.services.users.findForLogin(email))!.user
    const ref = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' as const }
    const first = (await t.services.store.get(ref))!.grant
    t.sandbox.control.expireSms77AccessTokens()
    await agent.get('/dashboard').expect(200)
    const second = (await t.services.store.get(ref))!.grant
    expect(second.secrets.accessToken).not.toBe(first.secrets.accessToken)
    await agent
      .post('/connections/sms77/sms')
      .type('form')
      .send({ _csrf: await csrfOf(agent), to: '+491701234567', text: 'log test' })
      .expect(303)
    // A failing request is logged too: make one.
    await agent
      .get(`/oauth_redirect?state=${'x'.repeat(43)}&code=${callback.searchParams.get('code')}`)
      .expect(400)
    const nexmo = (await t.services.store.get({ ...ref, provider: 'nexmo' }))!.grant

    const logs = t.logs.join('\n')
    expect(t.logs.length).toBeGreaterThan(10)
    expect(logs).toContain('request completed')
    const cookie = (await agent.get('/dashboard')).request.cookies
    const secrets = {
      password,
      code: callback.searchParams.get('code')!,
      state: callback.searchParams.get('state')!,
      firstAccess: first.secrets.accessToken,
      firstRefresh: first.secrets.refreshToken!,
      secondAccess: second.secrets.accessToken,
      secondRefresh: second.secrets.refreshToken!,
      nexmoToken: nexmo.secrets.accessToken,
      nexmoSecret: nexmo.secrets.tokenSecret!,
      clientSecret: 'test-secret-0123456789',
      consumerSecret: 'test-consumer-secret',
      sessionCookie: cookie.split('=')[1]!.split(';')[0]!,
    }
    for (const [name, value] of Object.entries(secrets)) {
      expect(value.length, name).toBeGreaterThan(8)
      expect(logs.includes(value), `${name} appears in the logs`).toBe(false)
      expect(logs.includes(encodeURIComponent(value)), `${name} (encoded) appears in the logs`).toBe(false)
    }
  })
})
