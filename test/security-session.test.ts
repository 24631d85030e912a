/**
 * Sessions: login CSRF, session fixation, cookie flags, tampered cookies, and users whose
 * access ends (removed, demoted, logged out) losing it on their very next request, on
 * every instance.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/boot/app.js'
import { createLogger } from '../src/logging/logger.js'
import { csrfFrom, csrfOf, signUp, startTestApp, uniqueEmail, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { beginSms77, connectSms77 } from './helpers/flows.js'
import { keysUnder, openRedis } from './helpers/redis.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'sec-session' })
})
afterAll(() => t.close())

function sessionCookie(res: { headers: Record<string, unknown> }): string | undefined {
  const set = res.headers['set-cookie'] as string[] | undefined
  return set?.find((c) => c.startsWith('sb.sid='))
}

const pair = (cookie: string) => cookie.split(';')[0]!

/** The session id inside a signed `sb.sid=s:<id>.<sig>` cookie. */
function sidOf(cookie: string): string {
  return decodeURIComponent(pair(cookie).slice('sb.sid='.length))
    .replace(/^s:/, '')
    .replace(/\.[^.]+$/, '')
}

async function sessionKeys(): Promise<string[]> {
  return (await keysUnder(t.prefix)).filter((k) => k.startsWith('sess:'))
}

describe('login CSRF', () => {
  it('refuses a sign-in posted without this browser’s own token, so nobody can sign a victim into their account', async () => {
    const { email, password } = await signUp(t.app)
    // The attacker has a valid token, but for the attacker's own session.
    const attacker = supertest.agent(t.app)
    const attackersToken = csrfFrom((await attacker.get('/login').expect(200)).text)
    const victim = supertest.agent(t.app)
    await victim.get('/login').expect(200)
    for (const body of [
      { email, password },
      { email, password, _csrf: attackersToken },
      { email, password, _csrf: '' },
    ]) {
      const res = await victim.post('/login').type('form').send(body).expect(403)
      expect(res.headers.location).toBeUndefined()
    }
    // A browser without any session cannot be signed in by a cross-site form either.
    await supertest(t.app)
      .post('/login')
      .type('form')
      .send({ email, password, _csrf: attackersToken })
      .expect(403)
    await victim.get('/dashboard').expect(303).expect('location', '/login')
  })
})

describe('session fixation', () => {
  for (const via of ['login', 'signup'] as const) {
    it(`gives a new session id at ${via}; the fixed one is deleted and stays anonymous`, async () => {
      const existing = via === 'login' ? await signUp(t.app) : undefined
      // The attacker obtains a session and plants its cookie in the victim's browser.
      const fixed = sessionCookie(await supertest(t.app).get(`/${via}`).expect(200))!
      expect(fixed).toBeDefined()
      expect(await sessionKeys()).toContain(`sess:${sidOf(fixed)}`)
      const victim = supertest.agent(t.app)
      victim.jar.setCookie(pair(fixed), '127.0.0.1')
      const form = await victim.get(`/${via}`).set('Cookie', pair(fixed)).expect(200)
      const body =
        via === 'login'
          ? { email: existing!.email, password: existing!.password }
          : {
              organization: 'Fixation Org',
              email: uniqueEmail('fixation'),
              password: 'correct horse battery',
            }
      const res = await victim
        .post(`/${via}`)
        .set('Cookie', pair(fixed))
        .type('form')
        .send({ ...body, _csrf: csrfFrom(form.text) })
        .expect(303)
      const fresh = sessionCookie(res)!
      expect(fresh).toBeDefined()
      expect(sidOf(fresh)).not.toBe(sidOf(fixed))
      expect(await sessionKeys()).not.toContain(`sess:${sidOf(fixed)}`)
      await supertest(t.app)
        .get('/dashboard')
        .set('Cookie', pair(fixed))
        .expect(303)
        .expect('location', '/login')
      await supertest(t.app).get('/dashboard').set('Cookie', pair(fresh)).expect(200)
    })
  }

  it('never adopts a session id the server did not issue (unsigned, forged signature, unknown id)', async () => {
    const { agent } = await signUp(t.app)
    const real = (await agent.get('/dashboard').expect(200)).request.cookies
    const sid = decodeURIComponent(real.split('=')[1]!)
    const [, id, sig] = /^s:([^.]+)\.(.+)$/.exec(sid)!
    const forgedSig = sig!.slice(0, -2) + (sig!.endsWith('AA') ? 'BB' : 'AA')
    for (const cookie of [
      `sb.sid=${id}`,
      `sb.sid=${encodeURIComponent(`s:${id}.${forgedSig}`)}`,
      `sb.sid=${encodeURIComponent('s:attacker-chosen-id.abc')}`,
      'sb.sid=%FF%FE',
      `sb.sid=${'x'.repeat(4000)}`,
    ]) {
      const res = await supertest(t.app).get('/dashboard').set('Cookie', cookie)
      expect(res.status, cookie.slice(0, 40)).toBe(303)
      expect(res.headers.location).toBe('/login')
    }
    expect(await sessionKeys()).not.toContain('sess:attacker-chosen-id')
  })
})

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/, and not Secure over plain http', async () => {
    const cookie = sessionCookie(await supertest(t.app).get('/login').expect(200))!
    expect(cookie).toMatch(/; HttpOnly/i)
    expect(cookie).toMatch(/; SameSite=Lax/i)
    expect(cookie).toMatch(/; Path=\//)
    expect(cookie).not.toMatch(/; Secure/i)
  })

  it('is Secure when BASE_URL is https, and HSTS is sent', async () => {
    const secure = await startTestApp({
      name: 'sec-session-https',
      env: { BASE_URL: 'https://switchboard.test', TRUST_PROXY: '1' },
      sandbox: t.sandbox,
    })
    try {
      const res = await supertest(secure.app).get('/login').set('X-Forwarded-Proto', 'https').expect(200)
      const cookie = sessionCookie(res)!
      expect(cookie).toMatch(/; Secure/i)
      expect(cookie).toMatch(/; HttpOnly/i)
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/)
      // Never sent over a plain connection.
      expect(sessionCookie(await supertest(secure.app).get('/login').expect(200))).toBeUndefined()
    } finally {
      await secure.close()
    }
  })
})

describe('access that ends takes effect at once', () => {
  it('logout deletes the session server-side: a copied cookie is worthless afterwards', async () => {
    const { agent } = await signUp(t.app)
    const cookie = (await agent.get('/dashboard').expect(200)).request.cookies
    await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: await csrfOf(agent) })
      .expect(303)
      .expect('location', '/login?signed_out=1')
    await supertest(t.app).get('/dashboard').set('Cookie', cookie).expect(303).expect('location', '/login')
    const sid = decodeURIComponent(cookie.split('=')[1]!)
      .replace(/^s:/, '')
      .replace(/\.[^.]+$/, '')
    expect(await sessionKeys()).not.toContain(`sess:${sid}`)
  })

  it('a removed user is out on their next request on another instance; their forms and callbacks do nothing', async () => {
    const second = createApp({
      config: t.config,
      redis: await openRedis(t.prefix),
      logger: createLogger('silent'),
    })
    const { agent, email } = await signUp(t.app)
    const cookie = (await agent.get('/dashboard').expect(200)).request.cookies
    const token = await csrfOf(agent)
    const authorize = await beginSms77(agent, ['balance'])
    const consent = await pressConsent(authorize.toString(), 'Allow')
    await supertest(second).get('/dashboard').set('Cookie', cookie).expect(200)
    const user = (await t.services.users.findForLogin(email))!.user
    await t.services.users.remove(user)

    await supertest(second).get('/dashboard').set('Cookie', cookie).expect(303).expect('location', '/login')
    const exchanges = t.sandbox.control.stats.sms77.codeExchanges
    const flowsBefore = (await keysUnder(t.prefix)).filter((k) => k.startsWith('flow:')).length
    await supertest(second)
      .post('/connect/sms77')
      .set('Cookie', cookie)
      .type('form')
      .send({ _csrf: token, scope: 'balance' })
      .expect(403)
    const cb = await supertest(second).get(pathOf(consent.location)).set('Cookie', cookie)
    expect(cb.status).toBe(303)
    expect(cb.headers.location).toBe('/login')
    expect(t.sandbox.control.stats.sms77.codeExchanges).toBe(exchanges)
    expect((await keysUnder(t.prefix)).filter((k) => k.startsWith('flow:')).length).toBeLessThanOrEqual(
      flowsBefore,
    )
    expect(
      await t.services.store.get({ tenantId: user.tenantId, userId: user.id, provider: 'sms77' }),
    ).toBeNull()
    await agent.get('/dashboard').expect(303).expect('location', '/login')
  })

  it('a demoted admin loses admin pages on the next request, on any instance', async () => {
    const second = createApp({
      config: t.config,
      redis: await openRedis(t.prefix),
      logger: createLogger('silent'),
    })
    const { agent, email } = await signUp(t.app)
    const cookie = (await agent.get('/dashboard').expect(200)).request.cookies
    const before = await supertest(second).get('/admin/users').set('Cookie', cookie)
    const user = (await t.services.users.findForLogin(email))!.user
    await t.services.users.setRole(user.tenantId, user.id, 'member')
    const after = await supertest(second).get('/admin/users').set('Cookie', cookie)
    // Whether or not the admin console is mounted yet, a member never gets it.
    expect([200, 404]).toContain(before.status)
    expect(after.status).toBe(before.status === 404 ? 404 : 403)
    const dash = await supertest(second).get('/dashboard').set('Cookie', cookie).expect(200)
    expect(dash.text).toContain('>member<')
    expect(dash.text).not.toContain('>admin<')
  })

  it('removal through the admin console deletes the user’s tokens and ends all their sessions at once', async ({
    skip,
  }) => {
    const admin = await signUp(t.app, 'Removal Org')
    const adminUser = (await t.services.users.findForLogin(admin.email))!.user
    const probe = await admin.agent.get('/admin/users')
    if (probe.status === 404) skip('the admin console is not mounted yet')
    const email = uniqueEmail('leaver')
    await admin.agent
      .post('/admin/users')
      .type('form')
      .send({
        _csrf: await csrfOf(admin.agent, '/admin/users'),
        email,
        password: 'correct horse battery',
        role: 'member',
      })
      .expect(303)
    // The leaver signs in twice (two browsers) and connects an account.
    const browsers = [supertest.agent(t.app), supertest.agent(t.app)]
    for (const b of browsers) {
      const page = await b.get('/login').expect(200)
      await b
        .post('/login')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), email, password: 'correct horse battery' })
        .expect(303)
    }
    await connectSms77(t, browsers[0]!, ['balance'])
    const leaver = (await t.services.users.findForLogin(email))!.user
    const ref = { tenantId: leaver.tenantId, userId: leaver.id, provider: 'sms77' as const }
    expect(await t.services.store.get(ref)).not.toBeNull()
    expect(leaver.tenantId).toBe(adminUser.tenantId)

    await admin.agent
      .post(`/admin/users/${leaver.id}/remove`)
      .type('form')
      .send({ _csrf: await csrfOf(admin.agent, '/admin/users') })
      .expect(303)
    for (const b of browsers) await b.get('/dashboard').expect(303).expect('location', '/login')
    expect(await t.services.store.get(ref)).toBeNull()
    const left = (await keysUnder(t.prefix)).filter((k) => k.includes(`:conn:${leaver.id}:`))
    // Only the kept read's fence stays (connections/kept-read.ts): no read, no token, gone within 2 minutes.
    expect(left.map((k) => k.replace(/^.*:conn:[^:]+:/, ''))).toEqual(['sms77:kept'])
    const fence = left[0]!
    expect(Object.keys(await t.redis.hgetall(fence)).sort()).toEqual(['e', 's'])
    expect(await t.redis.pttl(fence)).toBeLessThanOrEqual(120_000)
  })
})
