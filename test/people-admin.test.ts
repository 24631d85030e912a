import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { hashPassword } from '../src/auth/passwords.js'
import { LoginLimiter } from '../src/auth/login-limiter.js'
import { csrfFrom, csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp({
    name: 'people-admin',
    env: { TRUST_PROXY: '1' },
    deps: {
      loginLimits: {
        perIp: { points: 1000, durationSec: 60 },
        perAccount: { points: 3, durationSec: 60 },
        signupPerIp: { points: 1000, durationSec: 60 },
        // An interval long enough that the next request surely falls inside it.
        perAccountEverywhere: { free: 4, durationSec: 60, baseDelayMs: 1500, maxDelayMs: 1500 },
      },
    },
  })
})
afterAll(() => t.close())

async function login(email: string, password: string, ip: string) {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login')
  const started = Date.now()
  const res = await agent
    .post('/login')
    .set('X-Forwarded-For', ip)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password })
  return { status: res.status, ms: Date.now() - started }
}

const emailsOn = (html: string) => [...html.matchAll(/<td[^>]*>([^<]+@people\.test)/g)].map((m) => m[1])

describe('admin users list (issue 15)', () => {
  let admin: Agent
  let tenantId: string
  beforeAll(async () => {
    admin = (await signUp(t.app, 'Big Org', 'boss@people.test')).agent
    tenantId = (await t.services.users.findForLogin('boss@people.test'))!.user.tenantId
    const passwordHash = await hashPassword('unused password')
    const inputs = Array.from({ length: 1060 }, (_, i) => ({
      email: `p${String(i).padStart(4, '0')}@people.test`,
      passwordHash,
      role: i % 10 === 0 ? ('support' as const) : ('member' as const),
      createdAt: Date.now() + i + 1,
    }))
    await t.services.users.createMany(tenantId, inputs)
  })

  it('pages 50 at a time with no silent cap, and shows the organisation name and slug', async () => {
    const first = await admin.get('/admin/users').expect(200)
    expect(first.text).toContain('Users 1–50 of 1061')
    expect(first.text).toContain('Big Org')
    expect(first.text).toContain(`<code class="org-slug">${tenantId}</code>`)
    expect(emailsOn(first.text)).toHaveLength(50) // the admin's own row first, then 49 others
    const last = await admin.get('/admin/users?page=22').expect(200)
    expect(last.text).toContain('Users 1051–1061 of 1061')
    expect(emailsOn(last.text)).toEqual(Array.from({ length: 11 }, (_, i) => `p${1049 + i}@people.test`))
    expect(last.text).toContain('rel="prev"')
    expect(last.text).not.toContain('rel="next"')
  })

  it('searches by email and filters by role, together and apart', async () => {
    const search = await admin.get('/admin/users?q=P104').expect(200)
    expect(emailsOn(search.text)).toEqual(Array.from({ length: 10 }, (_, i) => `p${1040 + i}@people.test`))
    const support = await admin.get('/admin/users?role=support').expect(200)
    expect(support.text).toContain('of 106')
    const both = await admin.get('/admin/users?q=p10&role=support').expect(200)
    expect(emailsOn(both.text)).toEqual([
      'p1000@people.test',
      'p1010@people.test',
      'p1020@people.test',
      'p1030@people.test',
      'p1040@people.test',
      'p1050@people.test',
    ])
    expect((await admin.get('/admin/users?role=root')).status).toBe(400)
  })
})

describe('a lockout no stranger can cause (issue 15)', () => {
  it('an admin unlocks a person locked out on their own network; other admins cannot', async () => {
    const { email } = await signUp(t.app, 'Victim Org')
    const victim = (await t.services.users.findForLogin(email))!.user
    for (let i = 0; i < 3; i++) await login(email, 'wrong guess', '203.0.113.40')
    expect((await login(email, 'correct horse battery', '203.0.113.41')).status).toBe(429)
    // A stranger's guesses from elsewhere lock nothing on the person's own network...
    expect((await login(email, 'correct horse battery', '192.0.2.200')).status).toBe(303)
    // ...and another tenant's admin cannot reach the person.
    const { agent: outsider } = await signUp(t.app, 'Unlockers')
    const csrf = await csrfOf(outsider, '/admin/users')
    expect(
      (await outsider.post(`/admin/users/${victim.id}/unlock`).type('form').send({ _csrf: csrf })).status,
    ).toBe(404)
    const co = await t.services.accounts.addUser({
      tenantId: victim.tenantId,
      email: `co-${email}`,
      password: 'second admin pw',
      role: 'admin',
    })
    const agent = supertest.agent(t.app)
    const page = await agent.get('/login')
    await agent
      .post('/login')
      .set('X-Forwarded-For', '192.0.2.201')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: co.email, password: 'second admin pw' })
      .expect(303)
    const users = await agent.get('/admin/users').expect(200)
    expect(users.text).toContain('Unlock sign-in')
    await agent
      .post(`/admin/users/${victim.id}/unlock`)
      .type('form')
      .send({ _csrf: csrfFrom(users.text) })
      .expect(303)
    expect((await agent.get('/admin/users')).text).toContain(`${email} can sign in again from anywhere.`)
    expect((await login(email, 'correct horse battery', '203.0.113.42')).status).toBe(303)
  })

  it('past the ceiling admits one guess per growing interval and refuses the rest, never locking the right password out', async () => {
    const limiter = new LoginLimiter(t.redis, {
      perIp: { points: 9, durationSec: 9 },
      perAccount: { points: 9, durationSec: 9 },
      signupPerIp: { points: 9, durationSec: 9 },
      perAccountEverywhere: { free: 4, durationSec: 60, baseDelayMs: 200, maxDelayMs: 800 },
    })
    expect([1, 4, 5, 6, 7, 8, 30].map((n) => limiter.delayFor(n))).toEqual([0, 0, 200, 400, 800, 800, 800])
    const { email } = await signUp(t.app, 'Botnet Target')
    // Each guess from another network: the per-network limit never trips.
    for (let i = 0; i < 5; i++) expect((await login(email, 'wrong guess', `100.64.${i}.1`)).status).toBe(401)
    // The fifth took the account's 1.5 s interval: the next is refused at once, unchecked.
    const refused = await login(email, 'wrong guess', '100.64.5.1')
    expect(refused.status).toBe(429)
    expect(refused.ms).toBeLessThan(1500)
    await sleep(1600) // the interval (a Redis PX expiry) has passed
    const right = await login(email, 'correct horse battery', '100.64.99.1')
    expect(right.status).toBe(303)
  })
})

describe('sign-up closed (issue 15)', () => {
  it('says so on the page, refuses the POST and hides the link', async () => {
    const c = await startTestApp({ name: 'signup-closed', env: { SIGNUP: 'closed' }, sandbox: t.sandbox })
    try {
      const agent = supertest.agent(c.app)
      const page = await agent.get('/signup').expect(200)
      expect(page.text).toContain('Sign-up is closed on this Switchboard')
      expect(page.text).not.toContain('Create organisation</button>')
      const login = await agent.get('/login').expect(200)
      expect(login.text).not.toContain('href="/signup"')
      await agent
        .post('/signup')
        .type('form')
        .send({
          _csrf: csrfFrom(login.text),
          organization: 'Sneaky',
          email: 'sneak@closed.test',
          password: 'long enough pw',
        })
        .expect(403)
      expect(await c.services.users.findForLogin('sneak@closed.test')).toBeNull()
    } finally {
      await c.close()
    }
  })
})

describe('confirmations (issue 15)', () => {
  it('puts data-confirm on Remove user, and the plain POST still works without script', async () => {
    const { agent: admin } = await signUp(t.app, 'Confirmers')
    const { user } = await import('./helpers/users.js')
      .then((m) => m.addUserAndSignIn(t.app, admin, 'member'))
      .then(async (r) => ({ user: (await t.services.users.findForLogin(r.email))!.user }))
    const page = await admin.get('/admin/users').expect(200)
    expect(page.text).toMatch(
      new RegExp(
        `action="/admin/users/${user.id}/remove" class="inline" data-confirm="Remove ${user.email.replace(/\./g, '\\.')}`,
      ),
    )
    await admin
      .post(`/admin/users/${user.id}/remove`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303)
    expect(await t.services.users.get(user.tenantId, user.id)).toBeNull()
  })
})
