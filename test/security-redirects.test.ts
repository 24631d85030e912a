/**
 * Open redirects: every redirect after an action goes to a local path, whatever a visitor
 * puts in any query or form field, header or path; the one redirect off-site (Connect)
 * goes to the configured provider only, with our own callback URL.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_URL, csrfFrom, csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { beginSms77, connectSms77 } from './helpers/flows.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'sec-redirect' })
})
afterAll(() => t.close())

const EVIL = [
  '//evil.test',
  'https://evil.test',
  '/\\evil.test',
  '\\\\evil.test',
  'https:evil.test',
  '//evil.test/%2e%2e',
  'javascript:alert(1)',
  '/%2F%2Fevil.test',
]
// Names apps commonly read a post-action destination from.
const NAMES = [
  'next',
  'returnTo',
  'return_to',
  'redirect',
  'redirect_uri',
  'redirectTo',
  'url',
  'continue',
  'target',
  'dest',
  'destination',
  'back',
  'from',
  'callback',
  'goto',
]

function hostileQuery(value: string): string {
  return NAMES.map((n) => `${n}=${encodeURIComponent(value)}`).join('&')
}

function hostileFields(value: string): Record<string, string> {
  return Object.fromEntries(NAMES.map((n) => [n, value]))
}

/** A Location is local when it is a path on this origin: one slash, then not a slash or backslash. */
function expectLocal(location: string | undefined, where: string): void {
  if (location === undefined) return
  expect(location, where).toMatch(/^\/(?![/\\])/)
  expect(new URL(location, BASE_URL).origin, where).toBe(new URL(BASE_URL).origin)
}

describe('redirects after an action', () => {
  it('stay local for sign-up, sign-in and sign-out, whatever destination is planted', async () => {
    for (const evil of EVIL) {
      const { agent, email, password } = await signUp(t.app)
      const out = await agent
        .post(`/logout?${hostileQuery(evil)}`)
        .type('form')
        .send({ _csrf: await csrfOf(agent), ...hostileFields(evil) })
        .expect(303)
      expectLocal(out.headers.location, `logout ${evil}`)
      const page = await agent.get(`/login?${hostileQuery(evil)}`).expect(200)
      const login = await agent
        .post(`/login?${hostileQuery(evil)}`)
        .type('form')
        .send({ _csrf: csrfFrom(page.text), email, password, ...hostileFields(evil) })
        .expect(303)
      expect(login.headers.location, evil).toBe('/dashboard')
      const anon = supertest.agent(t.app)
      const form = await anon.get('/signup').expect(200)
      const signup = await anon
        .post(`/signup?${hostileQuery(evil)}`)
        .type('form')
        .send({
          _csrf: csrfFrom(form.text),
          organization: 'Redirect Org',
          email: `r${Date.now()}${Math.random()}@example.test`,
          password: 'long enough pw',
          ...hostileFields(evil),
        })
        .expect(303)
      expect(signup.headers.location, evil).toBe('/dashboard')
    }
  })

  it('stay local for every signed-in action and every GET, with hostile destinations in the query and the body', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent, ['balance', 'sms'])
    const locations: Array<[string, string | undefined]> = []
    for (const evil of EVIL) {
      const q = hostileQuery(evil)
      for (const path of [
        '/',
        '/dashboard',
        '/login',
        '/signup',
        '/support',
        '/admin/users',
        '/oauth_redirect',
        '/connect/nexmo/callback',
        '/nope',
      ]) {
        const res = await agent.get(`${path}?${q}`)
        locations.push([`GET ${path} ${evil}`, res.headers.location])
      }
      for (const [path, body] of [
        ['/dashboard/refresh', {}],
        ['/connections/sms77/sms', { to: '+491701234567', text: 'redirect test' }],
        ['/connections/sms77/sms', { to: 'not a number', text: '' }],
        ['/connect/sms77', {}], // no scope picked: back to the dashboard
        ['/support/refresh', { member: `${'a'.repeat(24)}:sms77`, q: evil, sort: 'recent', page: '1' }],
      ] as const) {
        const res = await agent
          .post(`${path}?${q}`)
          .type('form')
          .send({ _csrf: await csrfOf(agent), ...hostileFields(evil), ...body })
        locations.push([`POST ${path} ${evil}`, res.headers.location])
      }
    }
    for (const [where, location] of locations) expectLocal(location, where)
    expect(locations.filter(([, l]) => l !== undefined).length).toBeGreaterThan(EVIL.length * 4)
    // Disconnect last (it ends the connection the other actions use).
    const res = await agent
      .post(`/disconnect/sms77?${hostileQuery(EVIL[0]!)}`)
      .type('form')
      .send({ _csrf: await csrfOf(agent), ...hostileFields(EVIL[1]!) })
      .expect(303)
    expect(res.headers.location).toBe('/dashboard')
  })

  it('stay local at the end of both OAuth callbacks, success or denial, with extra hostile parameters', async () => {
    const { agent } = await signUp(t.app)
    const allowed = await pressConsent((await beginSms77(agent, ['balance'])).toString(), 'Allow')
    const ok = await agent.get(`${pathOf(allowed.location)}&${hostileQuery('https://evil.test')}`).expect(303)
    expect(ok.headers.location).toBe('/dashboard')
    const denied = await pressConsent((await beginSms77(agent, ['balance'])).toString(), 'Deny')
    const no = await agent.get(`${pathOf(denied.location)}&${hostileQuery('//evil.test')}`).expect(303)
    expect(no.headers.location).toBe('/dashboard')
    const nexmo = await agent
      .post('/connect/nexmo')
      .type('form')
      .send({ _csrf: await csrfOf(agent) })
      .expect(303)
    const nexmoConsent = await pressConsent(nexmo.headers.location!, 'Allow')
    const done = await agent
      .get(`${pathOf(nexmoConsent.location)}&${hostileQuery('//evil.test')}`)
      .expect(303)
    expect(done.headers.location).toBe('/dashboard')
  })

  it('never leave the origin through odd paths (static files, double slashes, encoded slashes)', async () => {
    const { agent } = await signUp(t.app)
    for (const path of [
      '//evil.test',
      '//evil.test/',
      '//evil.test/%2e%2e',
      '/public//evil.test',
      '/public/%2F%2Fevil.test',
      '/public/..%2F..%2Fetc%2Fpasswd',
      '/public',
      '/public/',
      '/%5Cevil.test',
      '/\\evil.test/',
    ]) {
      const res = await agent.get(path)
      expect(res.status, path).toBeLessThan(500)
      expectLocal(res.headers.location, path)
      expect(res.text, path).not.toContain('root:x:0:0')
    }
  })
})

describe('the Connect redirect, the one that leaves the site', () => {
  async function connectWith(
    agent: Agent,
    extra: Record<string, string>,
    headers: Record<string, string> = {},
  ) {
    const req = agent.post('/connect/sms77').type('form')
    for (const [k, v] of Object.entries(headers)) req.set(k, v)
    return req.send({ _csrf: await csrfOf(agent), scope: 'balance', ...extra }).expect(303)
  }

  it('goes only to the configured provider, with our own redirect_uri, whatever the form, the Host or X-Forwarded-Host say', async () => {
    const { agent } = await signUp(t.app)
    const res = await connectWith(
      agent,
      {
        ...hostileFields('https://evil.test'),
        client_id: 'evil-client',
        state: 'attacker-state',
        response_type: 'token',
      },
      { Host: 'evil.test', 'X-Forwarded-Host': 'evil.test', 'X-Forwarded-Proto': 'https' },
    )
    const url = new URL(res.headers.location!)
    expect(url.origin + url.pathname).toBe(`${t.config.sms77.oauthUrl}/authorize`)
    expect(url.searchParams.get('redirect_uri')).toBe(`${BASE_URL}/oauth_redirect`)
    expect(url.searchParams.get('client_id')).toBe(t.config.sms77.client!.id)
    expect(url.searchParams.get('response_type')).toBe('code')
    expect(url.searchParams.get('state')).not.toBe('attacker-state')
    expect(url.searchParams.getAll('redirect_uri')).toHaveLength(1)
  })

  it('registers our own callback with Nexmo, whatever the request says', async () => {
    const { agent } = await signUp(t.app)
    const res = await agent
      .post('/connect/nexmo')
      .set('Host', 'evil.test')
      .set('X-Forwarded-Host', 'evil.test')
      .type('form')
      .send({
        _csrf: await csrfOf(agent),
        oauth_callback: 'https://evil.test/cb',
        ...hostileFields('https://evil.test'),
      })
      .expect(303)
    expect(res.headers.location!.startsWith(`${t.config.nexmo.oauthUrl}/authorize?oauth_token=`)).toBe(true)
    const consent = await pressConsent(res.headers.location!, 'Allow')
    expect(consent.location.startsWith(`${BASE_URL}/connect/nexmo/callback?`)).toBe(true)
  })
})
