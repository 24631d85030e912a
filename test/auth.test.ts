import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { csrfFrom, csrfOf, signUp, startTestApp, uniqueEmail, type TestApp } from './helpers/app.js'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp({
    name: 'auth',
    deps: {
      loginLimits: {
        perIp: { points: 8, durationSec: 60 },
        perAccount: { points: 3, durationSec: 60 },
        signupPerIp: { points: 50, durationSec: 60 },
      },
    },
  })
})
afterAll(() => t.close())

function sessionCookie(res: { headers: Record<string, unknown> }): string | undefined {
  const set = res.headers['set-cookie'] as string[] | undefined
  return set?.find((c) => c.startsWith('sb.sid='))?.split(';')[0]
}

describe('sign-up', () => {
  it('creates a tenant with its first admin and signs them in', async () => {
    const { agent, email } = await signUp(t.app, 'Globex <GmbH>')
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain(email)
    expect(dash.text).toContain('>admin<')
    const found = await t.services.users.findForLogin(email)
    expect(found?.user.role).toBe('admin')
    const tenant = await t.services.tenants.get(found!.user.tenantId)
    expect(tenant).toMatchObject({ id: found!.user.tenantId, name: 'Globex <GmbH>' })
    expect(tenant!.id).toMatch(/^globex-gmbh/)
    expect(found!.passwordHash).toMatch(/^\$argon2id\$/)
  })

  it('re-renders the form with a message per bad field and keeps what was typed', async () => {
    const agent = supertest.agent(t.app)
    const csrf = csrfFrom((await agent.get('/signup')).text)
    const res = await agent
      .post('/signup')
      .type('form')
      .send({ _csrf: csrf, organization: 'A', email: 'not-an-email', password: 'short' })
      .expect(400)
    expect(res.text).toContain('Enter a valid email address.')
    expect(res.text).toContain('Use at least 10 characters.')
    expect(res.text).toContain('value="not-an-email"')
  })

  it('answers an email that already belongs to a user without confirming it on the page (issue 15)', async () => {
    const { email } = await signUp(t.app)
    const agent = supertest.agent(t.app)
    const csrf = csrfFrom((await agent.get('/signup')).text)
    const res = await agent
      .post('/signup')
      .type('form')
      .send({ _csrf: csrf, organization: 'Other', email: email.toUpperCase(), password: 'another password' })
      .expect(200)
    expect(res.text).toContain('Check your inbox')
    expect(res.text).not.toMatch(/already exists/i)
    expect((await t.services.users.findForLogin(email))?.user.tenantId).not.toBe('other')
  })
})

describe('sign-in', () => {
  it('signs in with the right password under a new session id and out again', async () => {
    const { email, password } = await signUp(t.app)
    const agent = supertest.agent(t.app)
    const page = await agent.get('/login').expect(200)
    const before = sessionCookie(page)
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email, password })
      .expect(303)
    expect(res.headers.location).toBe('/dashboard')
    const after = sessionCookie(res)
    expect(before).toBeDefined()
    expect(after).toBeDefined()
    expect(after).not.toBe(before)
    // The pre-login (fixed) session is worthless: it is not signed in.
    await supertest(t.app).get('/dashboard').set('Cookie', before!).expect(303).expect('location', '/login')
    const csrf = await csrfOf(agent)
    await agent.post('/logout').type('form').send({ _csrf: csrf }).expect(303)
    await agent.get('/dashboard').expect(303).expect('location', '/login')
    await supertest(t.app).get('/dashboard').set('Cookie', after!).expect(303)
  })

  it('answers a wrong password with one message that does not say which part was wrong', async () => {
    const { email } = await signUp(t.app)
    const agent = supertest.agent(t.app)
    const csrf = csrfFrom((await agent.get('/login')).text)
    const wrong = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrf, email, password: 'wrong password!' })
      .expect(401)
    const unknown = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrf, email: uniqueEmail('nobody'), password: 'wrong password!' })
      .expect(401)
    expect(wrong.text).toContain('do not match an account')
    expect(unknown.text).toContain('do not match an account')
  })

  it('locks an account after repeated failures, even for the right password, and only failures count', async () => {
    const { email, password } = await signUp(t.app)
    const agent = supertest.agent(t.app)
    const csrf = csrfFrom((await agent.get('/login')).text)
    // Successes never count toward the limit.
    for (let i = 0; i < 4; i++) {
      const ok = supertest.agent(t.app)
      const c = csrfFrom((await ok.get('/login')).text)
      await ok.post('/login').type('form').send({ _csrf: c, email, password }).expect(303)
    }
    for (let i = 0; i < 3; i++)
      await agent
        .post('/login')
        .type('form')
        .send({ _csrf: csrf, email, password: 'nope nope nope' })
        .expect(401)
    const locked = await agent.post('/login').type('form').send({ _csrf: csrf, email, password }).expect(429)
    expect(locked.text).toContain('Too many failed attempts')
    // Issue 29: the lock says that a reset gets the person in at once.
    expect(locked.text).toContain(
      'Or reset your password with “Forgot your password?”: you can sign in with the new one at once.',
    )
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0)
  })

  it('limits failures per IP across accounts, counted in Redis', async () => {
    const app2 = await startTestApp({
      name: 'auth-ip',
      deps: {
        loginLimits: {
          perIp: { points: 4, durationSec: 60 },
          perAccount: { points: 100, durationSec: 60 },
          signupPerIp: { points: 50, durationSec: 60 },
        },
      },
    })
    try {
      const agent = supertest.agent(app2.app)
      const csrf = csrfFrom((await agent.get('/login')).text)
      for (let i = 0; i < 4; i++)
        await agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrf, email: uniqueEmail(), password: 'whatever123' })
          .expect(401)
      await agent
        .post('/login')
        .type('form')
        .send({ _csrf: csrf, email: uniqueEmail(), password: 'whatever123' })
        .expect(429)
      const keys = await app2.redis.keys(`${app2.prefix}rl:login-ip*`)
      expect(keys.length).toBeGreaterThan(0)
    } finally {
      await app2.close()
    }
  })
})

describe('CSRF', () => {
  it('answers 403 to every state-changing form posted without a valid token, and changes nothing', async () => {
    const { agent } = await signUp(t.app)
    for (const path of [
      '/logout',
      '/connect/sms77',
      '/disconnect/sms77',
      '/dashboard/refresh',
      '/connections/sms77/sms',
    ]) {
      await agent.post(path).type('form').send({ scope: 'balance' }).expect(403)
      await agent.post(path).type('form').send({ _csrf: 'forged', scope: 'balance' }).expect(403)
    }
    await agent.get('/dashboard').expect(200)
    const anon = supertest.agent(t.app)
    await anon.get('/login')
    await anon.post('/login').type('form').send({ email: 'a@b.c', password: 'x' }).expect(403)
    await anon
      .post('/signup')
      .type('form')
      .send({ organization: 'X', email: uniqueEmail(), password: 'long enough pw' })
      .expect(403)
  })
})

describe('removed users', () => {
  it('ends a removed user’s session on their very next request', async () => {
    const { agent, email } = await signUp(t.app)
    await agent.get('/dashboard').expect(200)
    const found = await t.services.users.findForLogin(email)
    await t.services.users.remove(found!.user)
    await agent.get('/dashboard').expect(303).expect('location', '/login')
  })
})
