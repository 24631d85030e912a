import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_URL, csrfFrom, csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import { signInAtIdp, startIdp, type RunningIdp, saveSso } from './helpers/oidc-idp.js'

/** Issue 27: Delete my account confirmed by single sign-on re-authentication, for people without a password. */
const CLIENT = {
  clientId: 'switchboard-reauth',
  clientSecret: 'reauth-secret-93a1',
  redirectUris: [`${BASE_URL}/sso/callback`],
}
const A = 'acme-reauth.test'
const person = (id: string) => ({ id, name: id, email: `${id}@${A}`, emailVerified: true })

let t: TestApp
let idp: RunningIdp
let now = Date.now()
let admin: { agent: Agent; email: string; password: string }

beforeAll(async () => {
  idp = await startIdp({ clients: [CLIENT], people: ['boss', 'ada', 'eve', 'sam', 'tom'].map(person) })
  t = await startTestApp({ name: 'account-delete-sso', deps: { clock: () => now } })
  admin = await signUp(t.app, 'Acme Reauth', `boss@${A}`)
  await saveSso(admin.agent, {
    issuer: idp.issuer,
    clientId: CLIENT.clientId,
    clientSecret: CLIENT.clientSecret,
    domains: A,
    required: true,
  })
})
afterAll(async () => {
  await t.close()
  await idp.close()
})

/** Signs in through the identity provider as `id` (a member is made on first sign-in). */
async function ssoSignIn(id: string): Promise<Agent> {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login').expect(200)
  const start = await agent
    .post('/login/sso')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email: `${id}@${A}` })
    .expect(303)
  const back = await signInAtIdp(start.headers.location!, id)
  await agent.get(back.pathname + back.search).expect(303, /dashboard/)
  return agent
}

/** Confirm with single sign-on: the app's redirect to the provider, and where the provider sends back. */
async function confirmAs(agent: Agent, idpPerson: string) {
  const start = await agent
    .post('/account/delete/sso')
    .type('form')
    .send({ _csrf: await csrfOf(agent, '/account') })
  expect(start.status).toBe(303)
  const auth = new URL(start.headers.location!)
  expect(auth.origin).toBe(idp.issuer)
  return { auth, back: await signInAtIdp(auth.href, idpPerson) }
}

const exists = async (id: string) => (await t.services.users.findForLogin(`${id}@${A}`)) !== null
const flashOf = async (agent: Agent) => (await agent.get('/account').expect(200)).text

describe('Delete my account with single sign-on', () => {
  it('offers Confirm with single sign-on instead of the password, in English and German', async () => {
    const ada = await ssoSignIn('ada')
    const res = await ada.get('/account').expect(200)
    expect(res.text).toContain('Confirm with single sign-on')
    expect(res.text).toContain('action="/account/delete/sso"')
    expect(res.text).not.toContain('id="delete-current-password"')
    expect(res.headers['content-security-policy']).toMatch(new RegExp(`form-action [^;]*${idp.issuer}`))
    const de = await ada.get('/account').set('Accept-Language', 'de').expect(200)
    expect(de.text).toContain('Mit Single Sign-on bestätigen')
    // The admin keeps a password (required single sign-on leaves admins theirs): both ways.
    const boss = (await admin.agent.get('/account').expect(200)).text
    expect(boss).toContain('id="delete-current-password"')
    expect(boss).toContain('Confirm with single sign-on')
    // A password does not delete a person whose organisation requires single sign-on.
    await ada
      .post('/account/delete')
      .type('form')
      .send({ _csrf: await csrfOf(ada, '/account'), currentPassword: 'whatever it was' })
      .expect(303)
    expect(await flashOf(ada)).toContain('instead of a password')
    expect(await exists('ada')).toBe(true)
  })

  it('asks the provider for a fresh sign-in, and needs the CSRF token to start', async () => {
    const sam = await ssoSignIn('sam')
    await sam.post('/account/delete/sso').type('form').send({}).expect(403)
    const start = await sam
      .post('/account/delete/sso')
      .type('form')
      .send({ _csrf: await csrfOf(sam, '/account') })
      .expect(303)
    const q = new URL(start.headers.location!).searchParams
    expect([q.get('prompt'), q.get('max_age'), q.get('login_hint')]).toEqual(['login', '0', `sam@${A}`])
    expect(q.get('code_challenge_method')).toBe('S256')
  })

  it('deletes the person once the provider confirmed them: connections revoked, every session ended', async () => {
    const ada = await ssoSignIn('ada')
    const elsewhere = await ssoSignIn('ada')
    await connectSms77(t, ada, ['balance'])
    const tenantId = (await t.services.users.findForLogin(`ada@${A}`))!.user.tenantId
    expect(await t.services.store.count(tenantId)).toBe(1)
    const before = t.sandbox.control.sms77Revocations().length
    const { back } = await confirmAs(ada, 'ada')
    const done = await ada.get(back.pathname + back.search).expect(200)
    expect(done.text).toContain('Account deleted')
    expect(await exists('ada')).toBe(false)
    expect(await t.services.store.count(tenantId)).toBe(0)
    await expect.poll(() => t.sandbox.control.sms77Revocations().length).toBe(before + 1)
    await ada.get('/dashboard').expect(303)
    await elsewhere.get('/dashboard').expect(303)
    const audit = await t.services.audit.page(tenantId, 20)
    const entry = audit.entries.find((e) => e.action === 'account.deleted' && e.actorEmail === `ada@${A}`)
    expect(entry?.detail).toContain('single sign-on')
    // The callback works once: replayed, it deletes nothing and signs nobody in.
    await ada.get(back.pathname + back.search).expect(400)
  })

  it('refuses when another person of the provider completes the flow', async () => {
    const tom = await ssoSignIn('tom')
    const { back } = await confirmAs(tom, 'eve')
    const res = await tom.get(back.pathname + back.search)
    expect([res.status, res.headers.location]).toEqual([303, '/account'])
    expect(await flashOf(tom)).toContain('someone other than you')
    expect(await exists('tom')).toBe(true)
    expect(await exists('eve')).toBe(false)
    await tom.get('/dashboard').expect(200)
    const tenantId = (await t.services.users.findForLogin(`tom@${A}`))!.user.tenantId
    const audit = await t.services.audit.page(tenantId, 20)
    expect(audit.entries.find((e) => e.action === 'signin.sso_reauth_refused')?.detail).toContain(`eve@${A}`)
  })

  it('refuses a sign-in at the provider that is not recent (auth_time)', async () => {
    const sam = await ssoSignIn('sam')
    const { back } = await confirmAs(sam, 'sam')
    now += 6 * 60_000 // still inside the ID token's lifetime, past the five minutes
    try {
      const res = await sam.get(back.pathname + back.search)
      expect([res.status, res.headers.location]).toEqual([303, '/account'])
      expect(await flashOf(sam)).toContain('did not ask you to sign in just now')
      expect(await exists('sam')).toBe(true)
    } finally {
      now -= 6 * 60_000
    }
  })

  it("refuses the organisation's last admin before sending them to the provider", async () => {
    const res = await admin.agent
      .post('/account/delete/sso')
      .type('form')
      .send({ _csrf: await csrfOf(admin.agent, '/account') })
    expect([res.status, res.headers.location]).toEqual([303, '/account'])
    expect(await flashOf(admin.agent)).toContain('only admin')
    expect(await exists('boss')).toBe(true)
  })
})

describe('Delete my account with the password', () => {
  it('still works for a person with a password, who sees no single sign-on button', async () => {
    const s = await signUp(t.app, 'Password Org')
    const email = `member-${Date.now()}@password-org.test`
    const tenantId = (await t.services.users.findForLogin(s.email))!.user.tenantId
    await t.services.accounts.addUser({ tenantId, email, password: 'member password 1', role: 'member' })
    const member = supertest.agent(t.app)
    const login = await member.get('/login')
    await member
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), email, password: 'member password 1' })
      .expect(303)
    const page = (await member.get('/account').expect(200)).text
    expect(page).not.toContain('Confirm with single sign-on')
    await member
      .post('/account/delete')
      .type('form')
      .send({ _csrf: csrfFrom(page), currentPassword: 'member password 1' })
      .expect(200, /Account deleted/)
    expect(await t.services.users.findForLogin(email)).toBeNull()
    const audit = await t.services.audit.page(tenantId, 20)
    expect(audit.entries.find((e) => e.action === 'account.deleted')?.detail).toContain('password')
  })
})
