/**
 * No token, secret, password, code or session id in any page, header or error of a whole
 * journey, including its failures, and none echoed back by a provider either.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfFrom, csrfOf, startTestApp, uniqueEmail, type Agent, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { beginSms77, connectNexmo } from './helpers/flows.js'
import { TEST_NEXMO_CONSUMER, TEST_SMS77_CLIENT } from './helpers/sandbox-server.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'sec-secrets', deps: { panelCacheTtlSec: 0 } })
})
afterAll(() => t.close())

interface Seen {
  where: string
  text: string
}

/** Wraps an agent so every response it gets is kept (body and headers except Set-Cookie). */
function recorder(seen: Seen[]) {
  return async <T extends supertest.Response>(what: string, p: PromiseLike<T>): Promise<T> => {
    const res = await p
    const headers = Object.fromEntries(Object.entries(res.headers).filter(([k]) => k !== 'set-cookie'))
    seen.push({ where: `${what} → ${res.status}`, text: `${JSON.stringify(headers)}\n${res.text ?? ''}` })
    return res
  }
}

function expectAbsent(
  seen: Seen[],
  secrets: Record<string, string | undefined>,
  allowInLocation: string[] = [],
): void {
  const leaks: string[] = []
  for (const [name, value] of Object.entries(secrets)) {
    if (!value) continue
    expect(value.length, name).toBeGreaterThanOrEqual(8)
    for (const s of seen) {
      const text = allowInLocation.includes(name) ? s.text.replace(/"location":"[^"]*"/, '') : s.text
      if (text.includes(value) || text.includes(encodeURIComponent(value)))
        leaks.push(`${name} in ${s.where}`)
    }
  }
  expect(leaks).toEqual([])
}

describe('secrets never reach a page', () => {
  it('through a whole journey: sign-up, own credentials, both connects, refresh, send, support, admin, failures, logout', async () => {
    const seen: Seen[] = []
    const rec = recorder(seen)
    const password = 'first very secret password'
    const email = uniqueEmail('secrets')
    const agent: Agent = supertest.agent(t.app)
    const signup = await rec('GET /signup', agent.get('/signup'))
    await rec(
      'POST /signup',
      agent
        .post('/signup')
        .type('form')
        .send({ _csrf: csrfFrom(signup.text), organization: 'Secret Org', email, password }),
    )
    await rec(
      'signup with a short password',
      supertest(t.app)
        .post('/signup')
        .type('form')
        .send({ organization: 'X', email, password: 'short-secret' }),
    )

    // The tenant's own client credentials (white-label), if the admin console offers them.
    const ownSecret = `tenant-own-secret-${Date.now()}`
    const creds = await rec('GET /admin/credentials', agent.get('/admin/credentials'))
    const ownCredentials = creds.status === 200
    if (ownCredentials) {
      t.sandbox.control.options.sms77.clients.push({ id: 'tenant-own-client', secret: ownSecret })
      await rec(
        'POST /admin/credentials/sms77',
        agent
          .post('/admin/credentials/sms77')
          .type('form')
          .send({ _csrf: csrfFrom(creds.text), id: 'tenant-own-client', secret: ownSecret }),
      )
      await rec('GET /admin/credentials after', agent.get('/admin/credentials'))
    }

    const authorize = await beginSms77(agent, ['balance', 'journal', 'sms'])
    if (ownCredentials) expect(authorize.searchParams.get('client_id')).toBe('tenant-own-client')
    const consent = await pressConsent(authorize.toString(), 'Allow')
    const callback = new URL(consent.location)
    await rec('GET /oauth_redirect', agent.get(pathOf(consent.location)))
    await connectNexmo(agent)
    const user = (await t.services.users.findForLogin(email))!.user
    const ref = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' as const }
    const first = (await t.services.store.get(ref))!.grant.secrets
    const nexmo = (await t.services.store.get({ ...ref, provider: 'nexmo' }))!.grant.secrets
    await rec('GET /dashboard', agent.get('/dashboard'))
    await rec('GET /dashboard json', agent.get('/dashboard').set('Accept', 'application/json'))
    t.sandbox.control.expireSms77AccessTokens()
    await rec('GET /dashboard after expiry', agent.get('/dashboard'))
    const second = (await t.services.store.get(ref))!.grant.secrets
    expect(second.accessToken).not.toBe(first.accessToken)
    await rec(
      'POST sms',
      agent
        .post('/connections/sms77/sms')
        .type('form')
        .send({ _csrf: await csrfOf(agent), to: '+491701234567', text: 'secret test' }),
    )
    await rec(
      'POST nexmo sms',
      agent
        .post('/connections/nexmo/sms')
        .type('form')
        .send({ _csrf: await csrfOf(agent), to: '+491701234567', text: 'secret test' }),
    )
    const memberPassword = 'member very secret password'
    await rec(
      'POST /admin/users',
      agent
        .post('/admin/users')
        .type('form')
        .send({
          _csrf: await csrfOf(agent),
          email: uniqueEmail('member'),
          password: memberPassword,
          role: 'member',
        }),
    )
    await rec(
      'POST /admin/users invalid',
      agent
        .post('/admin/users')
        .type('form')
        .send({
          _csrf: await csrfOf(agent),
          email: 'not-an-email',
          password: memberPassword,
          role: 'member',
        }),
    )
    for (const path of [
      '/dashboard',
      '/support',
      '/support/export.csv',
      '/admin/users',
      '/admin/audit',
      '/metrics',
      '/readyz',
      '/healthz',
    ]) {
      await rec(`GET ${path}`, agent.get(path))
    }

    // Failures, in HTML and JSON.
    for (const accept of ['text/html', 'application/json']) {
      await rec(
        `bad state ${accept}`,
        agent
          .get(`/oauth_redirect?state=${'x'.repeat(43)}&code=${callback.searchParams.get('code')}`)
          .set('Accept', accept),
      )
      await rec(`404 ${accept}`, agent.get('/nope').set('Accept', accept))
      await rec(
        `CSRF ${accept}`,
        agent.post('/dashboard/refresh').set('Accept', accept).type('form').send({ _csrf: 'forged' }),
      )
    }
    await rec(
      'wrong password',
      supertest(t.app)
        .post('/login')
        .type('form')
        .send({ email, password: `${password}-wrong` }),
    )
    const loginPage = supertest.agent(t.app)
    const lp = await loginPage.get('/login')
    await rec(
      'wrong password form',
      loginPage
        .post('/login')
        .type('form')
        .send({ _csrf: csrfFrom(lp.text), email, password: `${password}-wrong` }),
    )
    for (const fault of [{ apiFails: true }, { apiMalformed: true }, { tokenFails: true }] as const) {
      t.sandbox.control.setFaults(fault)
      t.sandbox.control.expireSms77AccessTokens()
      await rec(`dashboard with ${Object.keys(fault)[0]}`, agent.get('/dashboard'))
      await rec(
        `sms with ${Object.keys(fault)[0]}`,
        agent
          .post('/connections/sms77/sms')
          .type('form')
          .send({ _csrf: await csrfOf(agent), to: '+491701234567', text: 'x' }),
      )
      t.sandbox.control.setFaults({ apiFails: false, apiMalformed: false, tokenFails: false })
    }
    await rec('dashboard recovered', agent.get('/dashboard'))
    const third = (await t.services.store.get(ref))!.grant.secrets
    t.sandbox.control.revokeSms77RefreshTokens()
    t.sandbox.control.expireSms77AccessTokens()
    t.sandbox.control.revokeNexmoAccessTokens()
    await rec('dashboard needs reconnect', agent.get('/dashboard'))
    const cookie = (await agent.get('/dashboard')).request.cookies
    await rec(
      'logout',
      agent
        .post('/logout')
        .type('form')
        .send({ _csrf: await csrfOf(agent) }),
    )
    await rec('after logout', agent.get('/dashboard'))

    expect(seen.length).toBeGreaterThanOrEqual(40)
    const sid = decodeURIComponent(cookie.split('=')[1]!.split(';')[0]!)
    expectAbsent(
      seen,
      {
        password,
        memberPassword,
        wrongPassword: `${password}-wrong`,
        code: callback.searchParams.get('code')!,
        state: callback.searchParams.get('state')!,
        firstAccess: first.accessToken,
        firstRefresh: first.refreshToken,
        secondAccess: second.accessToken,
        secondRefresh: second.refreshToken,
        thirdAccess: third.accessToken,
        thirdRefresh: third.refreshToken,
        nexmoToken: nexmo.accessToken,
        nexmoSecret: nexmo.tokenSecret,
        clientSecret: TEST_SMS77_CLIENT.secret,
        consumerSecret: TEST_NEXMO_CONSUMER.secret,
        tenantSecret: ownCredentials ? ownSecret : undefined,
        sessionId: sid.replace(/^s:/, '').replace(/\.[^.]+$/, ''),
        signedCookie: sid,
        sessionSecret: t.config.sessionSecret,
        tokenKey: t.config.tokenKeys[0]!.toString('base64'),
      },
      ['state'],
    )
    // No stack trace or source path on any page either.
    for (const s of seen)
      expect(s.text, s.where).not.toMatch(
        /node_modules|\/work\/main|\n\s+at [\w.<>]+ \(|ReferenceError|TypeError/,
      )
  })
})

describe('a provider that echoes secrets in its answers', () => {
  let server: http.Server
  let url: string
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      // A careless (or malicious) provider that puts the credentials it was sent in its answers.
      const auth = String(req.headers.authorization ?? '')
      const decoded = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString()
      const path = (req.url ?? '').split('?')[0]
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }
      if (path === '/sms77/oauth/token')
        return json(400, {
          error: `invalid_request ${decoded}`,
          error_description: `Bad client ${auth} (${decoded})`,
        })
      if (path === '/sms77/api/sms') return json(200, { success: auth, messages: [] })
      if (path === '/nexmo/rest/sms/json')
        return json(200, { messages: [{ status: auth, 'error-text': auth }] })
      if (path === '/nexmo/rest/account/get-balance') return json(200, { value: 1 })
      json(500, { error: auth })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('at the token endpoint: the page names the failure in its own words, without the client secret', async () => {
    const echo = await startTestApp({
      name: 'sec-secrets-echo',
      env: { SMS77_OAUTH_URL: `${url}/sms77/oauth` },
      sandbox: t.sandbox,
    })
    try {
      const seen: Seen[] = []
      const rec = recorder(seen)
      const agent = supertest.agent(echo.app)
      const page = await agent.get('/signup')
      await agent
        .post('/signup')
        .type('form')
        .send({
          _csrf: csrfFrom(page.text),
          organization: 'Echo Org',
          email: uniqueEmail('echo'),
          password: 'long enough pw',
        })
      for (const accept of ['text/html', 'application/json']) {
        const authorize = await beginSms77(agent, ['balance'])
        expect(authorize.origin).toBe(new URL(url).origin)
        const res = await rec(
          `callback ${accept}`,
          agent
            .get(`/oauth_redirect?state=${authorize.searchParams.get('state')}&code=c0de`)
            .set('Accept', accept),
        )
        expect(res.status).toBe(502)
        expect(res.text).toContain('sms77 refused the token request (unrecognised error)')
      }
      const basic = Buffer.from(`${TEST_SMS77_CLIENT.id}:${TEST_SMS77_CLIENT.secret}`).toString('base64')
      expectAbsent(seen, { clientSecret: TEST_SMS77_CLIENT.secret, basic })
    } finally {
      await echo.close()
    }
  })

  it('at the SMS endpoints: a result code that is not a code is not shown, so neither is the access token it carries', async () => {
    const echo = await startTestApp({
      name: 'sec-secrets-echo-api',
      env: { SMS77_API_URL: `${url}/sms77/api`, NEXMO_API_URL: `${url}/nexmo/rest` },
      sandbox: t.sandbox,
    })
    try {
      const seen: Seen[] = []
      const rec = recorder(seen)
      const agent = supertest.agent(echo.app)
      const page = await agent.get('/signup')
      const email = uniqueEmail('echo')
      await agent
        .post('/signup')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), organization: 'Echo Org', email, password: 'long enough pw' })
      const authorize = await beginSms77(agent, ['sms'])
      const consent = await pressConsent(authorize.toString(), 'Allow')
      await agent.get(pathOf(consent.location)).expect(303)
      await connectNexmo(agent)
      for (const provider of ['sms77', 'nexmo']) {
        await rec(
          `send ${provider}`,
          agent
            .post(`/connections/${provider}/sms`)
            .type('form')
            .send({ _csrf: await csrfOf(agent), to: '+491701234567', text: 'x' }),
        )
        await rec(`dashboard after ${provider}`, agent.get('/dashboard'))
      }
      const user = (await echo.services.users.findForLogin(email))!.user
      const sms77 = (await echo.services.store.get({
        tenantId: user.tenantId,
        userId: user.id,
        provider: 'sms77',
      }))!.grant.secrets
      const nexmo = (await echo.services.store.get({
        tenantId: user.tenantId,
        userId: user.id,
        provider: 'nexmo',
      }))!.grant.secrets
      expect(seen.map((s) => s.text).join('\n')).toContain('Not sent:')
      expectAbsent(seen, {
        sms77Access: sms77.accessToken,
        nexmoToken: nexmo.accessToken,
        consumerKeyHeader: `oauth_consumer_key="${TEST_NEXMO_CONSUMER.key}"`,
      })
    } finally {
      await echo.close()
    }
  })
})
