import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_URL, csrfFrom, csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { signInAtIdp, startIdp, type RunningIdp, saveSso } from './helpers/oidc-idp.js'
import { linkIn, startSmtpSink } from './helpers/smtp-sink.js'
import { secretFrom, totpAt } from './helpers/totp.js'

// Every password way in (sign-in, reset, invitation, sign-up) for people whose organisation
// requires single sign-on; invitations and required two-step; another organisation's email.

const D = 'corp-sso.test'
const ORG = 'corp-sso' // the tenant id of 'Corp SSO'
const CLIENT = {
  clientId: 'switchboard-ways',
  clientSecret: 'ways-client-secret-91ab',
  redirectUris: [`${BASE_URL}/sso/callback`],
}
const PASSWORD = 'a long enough password'
const person = (id: string, email: string) => ({ id, name: id, email, emailVerified: true })

/** The organisation's audit lines of refused password ways, for one email. */
async function refusedWays(email: string): Promise<string[]> {
  const audit = await t.services.audit.page(ORG, 100)
  return audit.entries
    .filter((e) => e.action === 'signin.password_refused_sso' && e.actorEmail === email)
    .map((e) => e.detail)
}

let t: TestApp
let idp: RunningIdp
let sink: Awaited<ReturnType<typeof startSmtpSink>>
let admin: { agent: Agent; email: string; password: string }
const now = Date.now()
/** A reset link mailed to a member before the organisation required single sign-on. */
let earlyResetLink: string

async function forgot(email: string) {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/forgot').expect(200)
  return agent
    .post('/forgot')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email })
}

async function login(email: string, password: string) {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login')
  const res = await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password })
  return { agent, res }
}

async function invite(by: Agent, email: string, role: string) {
  await by
    .post('/admin/users/invite')
    .type('form')
    .send({ _csrf: await csrfOf(by, '/admin/users'), email, role })
    .expect(303)
  return new URL(linkIn(await sink.mailTo(email), '/invite/')).pathname
}

async function ssoAs(email: string, personId: string) {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login').expect(200)
  const start = await agent
    .post('/login/sso')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email })
    .expect(303)
  const back = await signInAtIdp(start.headers.location!, personId)
  return { agent, res: await agent.get(back.pathname + back.search) }
}

beforeAll(async () => {
  sink = await startSmtpSink()
  idp = await startIdp({
    clients: [CLIENT],
    people: [
      person('boss', `boss@${D}`),
      person('mia', `mia@${D}`),
      person('ivo', `ivo@${D}`),
      person('old', `old@${D}`),
    ],
  })
  t = await startTestApp({ name: 'signin-ways-in', env: { SMTP_URL: sink.url }, deps: { clock: () => now } })
  // Before the organisation claims the domain: someone made an organisation of their own with it.
  await signUp(t.app, 'Shadow Org', `old@${D}`, PASSWORD)
  admin = await signUp(t.app, 'Corp SSO', `boss@${D}`)
  await admin.agent
    .post('/admin/users')
    .type('form')
    .send({
      _csrf: await csrfOf(admin.agent, '/admin/users'),
      email: `mia@${D}`,
      password: PASSWORD,
      role: 'member',
    })
    .expect(303)
  expect((await forgot(`mia@${D}`)).status).toBe(200)
  earlyResetLink = linkIn(await sink.mailTo(`mia@${D}`), '/reset/')
  await saveSso(admin.agent, {
    issuer: idp.issuer,
    clientId: CLIENT.clientId,
    clientSecret: CLIENT.clientSecret,
    domains: D,
    required: true,
  })
  // Saving single sign-on ended the admin's other sessions; this one stays.
  await admin.agent.get('/admin/sso').expect(200)
})
afterAll(async () => {
  await t?.close()
  await idp?.close()
  await sink?.close()
})

describe('required single sign-on closes every password way in', () => {
  it('sign-in: a member with the right password is refused; the admin keeps the password', async () => {
    const member = await login(`mia@${D}`, PASSWORD)
    expect(member.res.status).toBe(403)
    expect(member.res.text).toContain('Continue with single sign-on')
    await member.agent.get('/dashboard').expect(303).expect('Location', '/login')
    const boss = await login(admin.email, admin.password)
    expect([boss.res.status, boss.res.headers.location]).toEqual([303, '/dashboard'])
  })

  it('/forgot: the same answer, but the mail carries no reset link, only the way to single sign-on', async () => {
    const res = await forgot(`mia@${D}`)
    expect(res.status).toBe(200)
    const mail = await sink.mailTo(`mia@${D}`, 2)
    expect(mail.subject).toBe('Your Switchboard account signs in with single sign-on')
    expect(mail.text).not.toContain('/reset/')
    expect(mail.html).not.toContain('/reset/')
    expect(mail.text).toContain(`${BASE_URL}/login`)
    expect(await t.redis.keys(`${t.prefix}reset:*`)).toHaveLength(1) // the early link only
    expect(await refusedWays(`mia@${D}`)).toContainEqual(
      expect.stringMatching(/^no reset link mailed \(single sign-on required\)/),
    )
    // The admin's way back in still works.
    expect((await forgot(admin.email)).status).toBe(200)
    expect(linkIn(await sink.mailTo(admin.email), '/reset/')).toContain(`${BASE_URL}/reset/`)
  })

  it('a reset link mailed before single sign-on was required sets no password', async () => {
    const user = (await t.services.users.findForLogin(`mia@${D}`))!.user
    const before = await t.services.users.passwordHash(ORG, user.id)
    const agent = supertest.agent(t.app)
    const path = new URL(earlyResetLink).pathname
    const page = await agent.get(path)
    expect(page.status).toBe(403)
    expect(page.text).toContain('signs in with single sign-on')
    expect(page.text).not.toContain('name="password"')
    const set = await agent
      .post(path)
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/forgot'), password: 'a brand new password 2' })
    expect(set.status).toBe(403)
    expect(await t.services.users.passwordHash(ORG, user.id)).toBe(before)
    expect((await login(`mia@${D}`, 'a brand new password 2')).res.status).toBe(401)
    expect(await refusedWays(`mia@${D}`)).toContainEqual(
      expect.stringMatching(/^no password set through an earlier/),
    )
  })

  it('sign-up: no new organisation with a password for an email of that domain', async () => {
    const agent = supertest.agent(t.app)
    const page = await agent.get('/signup').expect(200)
    const res = await agent
      .post('/signup')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), organization: 'Side Org', email: `new@${D}`, password: PASSWORD })
    expect(res.status).toBe(403)
    expect(res.text).toContain('single sign-on')
    expect(await t.services.users.findForLogin(`new@${D}`)).toBeNull()
    expect(await t.services.tenants.get('side-org')).toBeNull()
    expect(await refusedWays(`new@${D}`)).toContainEqual(expect.stringMatching(/^no password sign-up/))
  })

  it('an invitation asks for no password: the person joins with the role given and signs in through the identity provider', async () => {
    const path = await invite(admin.agent, `ivo@${D}`, 'support')
    const agent = supertest.agent(t.app)
    const page = await agent.get(path).expect(200)
    expect(page.text).toContain('Accept invitation')
    expect(page.text).not.toContain('name="password"')
    // A password sent anyway is not set, and no session begins.
    const res = await agent
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), password: PASSWORD })
    expect([res.status, res.headers.location]).toEqual([303, '/login'])
    expect((await agent.get('/login').expect(200)).text).toContain('You joined Corp SSO')
    await agent.get('/dashboard').expect(303).expect('Location', '/login')
    const made = (await t.services.users.findForLogin(`ivo@${D}`))!.user
    expect(made).toMatchObject({ tenantId: ORG, role: 'support' })
    expect((await login(`ivo@${D}`, PASSWORD)).res.status).toBe(401)
    const sso = await ssoAs(`ivo@${D}`, 'ivo')
    expect([sso.res.status, sso.res.headers.location]).toEqual([303, '/support'])
    expect((await t.services.users.findForLogin(`ivo@${D}`))!.user.id).toBe(made.id)
    expect(await refusedWays(`ivo@${D}`)).toContainEqual(
      expect.stringMatching(/^joined through an invitation/),
    )
  })

  it("an admin's invitation still chooses a password (the admins' way back in)", async () => {
    const path = await invite(admin.agent, `second-boss@${D}`, 'admin')
    const agent = supertest.agent(t.app)
    const page = await agent.get(path).expect(200)
    expect(page.text).toContain('name="password"')
    const res = await agent
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), password: PASSWORD })
    expect([res.status, res.headers.location]).toEqual([303, '/dashboard'])
    expect((await login(`second-boss@${D}`, PASSWORD)).res.status).toBe(303)
  })
})

describe('turning Require single sign-on on', () => {
  it("signs out the password sessions of the domain's people, not the admin making the change", async () => {
    const save = async (required: boolean) => {
      const page = await admin.agent.get('/admin/sso').expect(200)
      await admin.agent
        .post('/admin/sso')
        .type('form')
        .send({
          _csrf: csrfFrom(page.text),
          issuer: idp.issuer,
          clientId: CLIENT.clientId,
          domains: D,
          defaultRole: 'member',
          ...(required ? { required: '1' } : {}),
        })
        .expect(303)
    }
    await save(false)
    const mia = await login(`mia@${D}`, PASSWORD)
    expect(mia.res.headers.location).toBe('/dashboard')
    await mia.agent.get('/dashboard').expect(200)
    await save(true)
    await mia.agent.get('/dashboard').expect(303).expect('Location', '/login')
    await admin.agent.get('/admin/sso').expect(200)
    expect((await login(`mia@${D}`, PASSWORD)).res.status).toBe(403)
    const audit = await t.services.audit.page(ORG, 100)
    expect(audit.entries.find((e) => e.action === 'signin.sso_settings_changed')?.detail).toMatch(
      new RegExp(`\\d+ people of ${D.replace('.', '\\.')} signed out`),
    )
  })
})

describe("single sign-on never takes over another organisation's person", () => {
  it('refuses an email that belongs to a person of another organisation, and makes no second account', async () => {
    const before = (await t.services.users.findForLogin(`old@${D}`))!.user
    expect(before.tenantId).toBe('shadow-org')
    const { agent, res } = await ssoAs(`old@${D}`, 'old')
    expect(res.status).toBe(403)
    expect(res.text).toContain('belongs to a person of another organisation')
    expect(res.text).not.toContain(CLIENT.clientSecret)
    await agent.get('/dashboard').expect(303).expect('Location', '/login')
    const after = (await t.services.users.findForLogin(`old@${D}`))!.user
    expect(after).toEqual(before)
    const people = await t.services.users.list(ORG)
    expect(people.map((p) => p.email)).not.toContain(`old@${D}`)
    const audit = await t.services.audit.page(ORG, 50)
    expect(
      audit.entries.some(
        (e) =>
          e.action === 'signin.sso_refused' && e.actorEmail === `old@${D}` && e.detail.startsWith('taken '),
      ),
    ).toBe(true)
    // Their own organisation is unaffected: its admin signs in with the password as before.
    expect((await login(`old@${D}`, PASSWORD)).res.headers.location).toBe('/dashboard')
  })
})

describe('invitations and required two-step', () => {
  it('takes a support person who accepts an invitation to two-step set-up first; a member goes straight in', async () => {
    const strict = await signUp(t.app, 'Strict Invites')
    const settings = await strict.agent.get('/admin/credentials').expect(200)
    await strict.agent
      .post('/admin/settings')
      .type('form')
      .send({ _csrf: csrfFrom(settings.text), lowBalanceThreshold: '5', requireTwoStep: '1' })
      .expect(303)

    const path = await invite(strict.agent, 'helper@strict-invites.test', 'support')
    const agent = supertest.agent(t.app)
    const page = await agent.get(path).expect(200)
    const res = await agent
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), password: PASSWORD })
    expect([res.status, res.headers.location]).toEqual([303, '/login/two-step'])
    // Nothing else is reachable until two-step is set up.
    await agent.get('/support').expect(303).expect('Location', '/login/two-step')
    await agent.get('/dashboard').expect(303)
    const setup = await agent.get('/login/two-step').expect(200)
    expect(setup.text).toContain('Your organisation requires two-step sign-in')
    const done = await agent
      .post('/login/two-step')
      .type('form')
      .send({ _csrf: csrfFrom(setup.text), code: totpAt(secretFrom(setup.text), now) })
      .expect(200)
    expect(done.text).toContain('Recovery codes')
    await agent.get('/support').expect(200)

    const memberPath = await invite(strict.agent, 'member@strict-invites.test', 'member')
    const m = supertest.agent(t.app)
    const mPage = await m.get(memberPath).expect(200)
    const joined = await m
      .post(memberPath)
      .type('form')
      .send({ _csrf: csrfFrom(mPage.text), password: PASSWORD })
    expect([joined.status, joined.headers.location]).toEqual([303, '/dashboard'])
    await m.get('/dashboard').expect(200)
  })
})
