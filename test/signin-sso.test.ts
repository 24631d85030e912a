import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_URL, csrfFrom, csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { signInAtIdp, startIdp, type RunningIdp } from './helpers/oidc-idp.js'
import { secretFrom, totpAt } from './helpers/totp.js'
import { ssoSettingsKey } from '../src/redis/keys.js'

const REDIRECT = `${BASE_URL}/sso/callback`
const CLIENT = {
  clientId: 'switchboard-test',
  clientSecret: 'idp-client-secret-4f9a2c',
  redirectUris: [REDIRECT],
}
const OTHER = { clientId: 'another-app', clientSecret: 'another-secret-77b1', redirectUris: [REDIRECT] }
const A = 'acme-sso.test'
const B = 'beta-sso.test'
const person = (id: string, email: string, emailVerified = true) => ({ id, name: id, email, emailVerified })

let t: TestApp
let idp: RunningIdp
let now = Date.now()
let adminA: { agent: Agent; email: string; password: string }
let adminB: { agent: Agent; email: string; password: string }

beforeAll(async () => {
  idp = await startIdp({
    clients: [CLIENT, OTHER],
    people: [
      person('admin-a', `boss@${A}`),
      person('ada', `ada@${A}`),
      person('una', `una@${A}`, false),
      person('bea', `bea@${B}`),
      person('member-a', `member@${A}`),
    ],
  })
  t = await startTestApp({ name: 'signin-sso', deps: { clock: () => now } })
  adminA = await signUp(t.app, 'Acme SSO', `boss@${A}`)
  adminB = await signUp(t.app, 'Beta SSO', `boss@${B}`)
})
afterAll(async () => {
  await t.close()
  await idp.close()
})

async function saveSso(agent: Agent, fields: Record<string, string>) {
  const page = await agent.get('/admin/sso').expect(200)
  return agent
    .post('/admin/sso')
    .type('form')
    .send({
      _csrf: csrfFrom(page.text),
      issuer: idp.issuer,
      clientId: CLIENT.clientId,
      defaultRole: 'member',
      ...fields,
    })
}

/** Continue with single sign-on from /login; returns the agent and where the app sent the browser. */
async function startSso(email: string, agent: Agent = supertest.agent(t.app)) {
  const page = await agent.get('/login').expect(200)
  const res = await agent
    .post('/login/sso')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email })
  return { agent, res }
}

async function ssoAs(email: string, personId: string, edit?: (u: URL) => void) {
  const { agent, res } = await startSso(email)
  expect(res.status).toBe(303)
  const auth = new URL(res.headers.location!)
  edit?.(auth)
  const back = await signInAtIdp(auth.href, personId)
  return { agent, auth, back }
}

const callback = (agent: Agent, back: URL) => agent.get(back.pathname + back.search)

function expectNoSecret(text: string) {
  expect(text).not.toContain(CLIENT.clientSecret)
  expect(text).not.toContain(OTHER.clientSecret)
}

describe('single sign-on settings', () => {
  it('shows the redirect URI, stores the client secret encrypted and never shows it again', async () => {
    const page = await adminA.agent.get('/admin/sso').expect(200)
    for (const label of [
      'Issuer URL',
      'Client ID',
      'Client secret',
      'Email domains',
      'Default role',
      'Require single sign-on',
      'Save single sign-on',
    ])
      expect(page.text).toContain(label)
    expect(page.text).toContain(REDIRECT)
    expect((await saveSso(adminA.agent, { clientSecret: CLIENT.clientSecret, domains: A })).status).toBe(303)
    const after = await adminA.agent.get('/admin/sso').expect(200)
    expectNoSecret(after.text)
    expect(after.text).toContain(A)
    const stored = await t.redis.hgetall(ssoSettingsKey('acme-sso'))
    expect(stored.secret).toMatch(/^v2\./) // sealed with the organisation's data key
    expect(JSON.stringify(stored)).not.toContain(CLIENT.clientSecret)
    const audit = await t.services.audit.page('acme-sso', 10)
    expect(audit.entries.find((e) => e.action === 'signin.sso_settings_changed')?.detail).toContain(A)
    expectNoSecret(JSON.stringify(audit.entries))
  })

  it('refuses a domain another organisation already uses, and an http issuer off this machine', async () => {
    const taken = await saveSso(adminB.agent, { clientSecret: CLIENT.clientSecret, domains: `${B}, ${A}` })
    expect(taken.status).toBe(409)
    expect(taken.text).toContain(`${A} already signs in with another organisation`)
    const insecure = await saveSso(adminB.agent, {
      clientSecret: 'x',
      domains: B,
      issuer: 'http://idp.example.com',
    })
    expect(insecure.status).toBe(400)
    expect((await saveSso(adminB.agent, { clientSecret: CLIENT.clientSecret, domains: B })).status).toBe(303)
  })

  it("allows the issuers' origin in /login's form-action", async () => {
    const res = await supertest(t.app).get('/login').expect(200)
    expect(res.headers['content-security-policy']).toMatch(new RegExp(`form-action [^;]*${idp.issuer}`))
    expect(res.text).toContain('Continue with single sign-on')
  })
})

describe('single sign-on', () => {
  it('redirects by the email domain with code flow, PKCE S256, state, nonce, scope and login_hint', async () => {
    const { res } = await startSso(`ada@${A}`)
    const url = new URL(res.headers.location!)
    expect(url.origin).toBe(idp.issuer)
    const q = url.searchParams
    expect(q.get('response_type')).toBe('code')
    expect(q.get('client_id')).toBe(CLIENT.clientId)
    expect(q.get('redirect_uri')).toBe(REDIRECT)
    expect(q.get('scope')).toBe('openid email profile')
    expect(q.get('code_challenge_method')).toBe('S256')
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/)
    expect(q.get('state')).toBeTruthy()
    expect(q.get('nonce')).toBeTruthy()
    expect(q.get('login_hint')).toBe(`ada@${A}`)
    const unknown = await startSso('someone@nowhere.test')
    expect(unknown.res.status).toBe(400)
  })

  it('creates a member on first sign-in, and signs the same person in the next time', async () => {
    const { agent, back } = await ssoAs(`ada@${A}`, 'ada')
    const res = await callback(agent, back)
    expect([res.status, res.headers.location]).toEqual([303, '/dashboard'])
    expect((await agent.get('/dashboard').expect(200)).text).toContain(`ada@${A}`)
    const made = await t.services.users.findForLogin(`ada@${A}`)
    expect(made?.user).toMatchObject({ tenantId: 'acme-sso', role: 'member' })
    const again = await ssoAs(`ada@${A}`, 'ada')
    await callback(again.agent, again.back).expect(303)
    expect((await t.services.users.findForLogin(`ada@${A}`))?.user.id).toBe(made!.user.id)
    const audit = await t.services.audit.page('acme-sso', 20)
    expect(audit.entries.filter((e) => e.action === 'signin.sso_person_created')).toHaveLength(1)
    expect(audit.entries.filter((e) => e.action === 'signin.sso_signed_in').length).toBeGreaterThanOrEqual(2)
  })

  it("signs an existing person in without the app's two-step code", async () => {
    const setup = await adminA.agent.get('/account/two-step').expect(200)
    const secret = secretFrom(setup.text)
    await adminA.agent
      .post('/account/two-step')
      .type('form')
      .send({ _csrf: csrfFrom(setup.text), code: totpAt(secret, now) })
      .expect(200)
    const { agent, back } = await ssoAs(`boss@${A}`, 'admin-a')
    const res = await callback(agent, back)
    expect([res.status, res.headers.location]).toEqual([303, '/dashboard'])
    expect((await agent.get('/admin/sso').expect(200)).text).toContain('Save single sign-on')
  })

  it('refuses a tampered state', async () => {
    const { agent, back } = await ssoAs(`ada@${A}`, 'ada')
    back.searchParams.set('state', `${back.searchParams.get('state')}x`)
    const res = await callback(agent, back)
    expect(res.status).toBe(400)
    expectNoSecret(res.text)
    await agent.get('/dashboard').expect(303).expect('Location', '/login')
  })

  it('refuses a callback without a flow of its own (another browser)', async () => {
    const { back } = await ssoAs(`ada@${A}`, 'ada')
    const res = await callback(supertest.agent(t.app), back)
    expect(res.status).toBe(400)
  })

  it('refuses an ID token with the wrong nonce', async () => {
    const { agent, back } = await ssoAs(`ada@${A}`, 'ada', (u) =>
      u.searchParams.set('nonce', 'not-the-app-nonce'),
    )
    const res = await callback(agent, back)
    expect(res.status).toBe(400)
    expect(res.text).toContain('could not be verified')
    expectNoSecret(res.text)
  })

  it('refuses a code issued to another client (the provider will not exchange it; a foreign ID token: signin-sso-tokens)', async () => {
    const { agent, back } = await ssoAs(`ada@${A}`, 'ada', (u) =>
      u.searchParams.set('client_id', OTHER.clientId),
    )
    const res = await callback(agent, back)
    expect(res.status).toBe(400)
    expectNoSecret(res.text)
    await agent.get('/dashboard').expect(303)
  })

  it('refuses an expired ID token', async () => {
    const { agent, back } = await ssoAs(`ada@${A}`, 'ada')
    now += 2 * 3600_000
    try {
      const res = await callback(agent, back)
      expect(res.status).toBe(400)
      expectNoSecret(res.text)
    } finally {
      now -= 2 * 3600_000
    }
  })

  it('refuses an email the provider has not verified', async () => {
    const { agent, back } = await ssoAs(`una@${A}`, 'una')
    const res = await callback(agent, back)
    expect(res.status).toBe(403)
    expect(res.text).toContain('not verified')
    expect(await t.services.users.findForLogin(`una@${A}`)).toBeNull()
  })

  it('never signs anyone into another organisation: a domain of another organisation is refused', async () => {
    const { agent, back } = await ssoAs(`ada@${A}`, 'bea')
    const res = await callback(agent, back)
    expect(res.status).toBe(403)
    expect(await t.services.users.findForLogin(`bea@${B}`)).toBeNull()
    await agent.get('/dashboard').expect(303)
    const audit = await t.services.audit.page('acme-sso', 50)
    expect(audit.entries.some((e) => e.action === 'signin.sso_refused' && e.actorEmail === `bea@${B}`)).toBe(
      true,
    )
  })

  it('with Require single sign-on, refuses password sign-in for the domain except for admins', async () => {
    const add = await adminA.agent.get('/admin/users').expect(200)
    await adminA.agent
      .post('/admin/users')
      .type('form')
      .send({
        _csrf: csrfFrom(add.text),
        email: `member@${A}`,
        password: 'a long enough password',
        role: 'member',
      })
      .expect(303)
    expect((await saveSso(adminA.agent, { domains: A, required: '1' })).status).toBe(303)
    const login = async (email: string, password: string) => {
      const agent = supertest.agent(t.app)
      const page = await agent.get('/login')
      return agent
        .post('/login')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), email, password })
    }
    const refused = await login(`member@${A}`, 'a long enough password')
    expect(refused.status).toBe(403)
    expect(refused.text).toContain('single sign-on')
    const admin = await login(adminA.email, adminA.password)
    expect([admin.status, admin.headers.location]).toEqual([303, '/login/two-step'])
    // The member still gets in through the identity provider.
    const { agent, back } = await ssoAs(`member@${A}`, 'member-a')
    await callback(agent, back).expect(303)
    // Another organisation's people are not affected.
    const b = await login(adminB.email, adminB.password)
    expect(b.status).toBe(303)
    expect(await csrfOf(adminA.agent, '/admin/sso')).toBeTruthy()
  })
})
