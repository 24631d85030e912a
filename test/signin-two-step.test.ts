import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  csrfFrom,
  csrfOf,
  signUp,
  startTestApp,
  uniqueEmail,
  type Agent,
  type TestApp,
} from './helpers/app.js'
import { addUserAndSignIn } from './helpers/users.js'
import { secretFrom, totpAt } from './helpers/totp.js'
import { recoveryCodesKey, twoStepKey } from '../src/redis/keys.js'

let t: TestApp
let now = Date.UTC(2026, 11, 6, 12, 0, 5)
const clock = () => now

beforeAll(async () => {
  t = await startTestApp({ name: 'signin-two-step', deps: { clock } })
})
afterAll(() => t.close())

async function login(
  email: string,
  password: string,
): Promise<{ agent: Agent; status: number; location?: string }> {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login').expect(200)
  const res = await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password })
  return { agent, status: res.status, location: res.headers.location }
}

async function sendCode(agent: Agent, code: string) {
  const page = await agent.get('/login/two-step').expect(200)
  return agent
    .post('/login/two-step')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), code })
}

/** Turns two-step on from /account; returns the secret and the recovery codes shown once. */
async function turnOn(agent: Agent): Promise<{ secret: string; codes: string[] }> {
  const account = await agent.get('/account').expect(200)
  expect(account.text).toContain('Set up two-step sign-in')
  const setup = await agent.get('/account/two-step').expect(200)
  expect(setup.text).toContain('Secret key')
  expect(setup.text).toMatch(/<img class="qr" src="data:image\/png;base64,/)
  expect(setup.text).toContain('autocomplete="one-time-code"')
  expect(setup.text).toContain('inputmode="numeric"')
  const secret = secretFrom(setup.text)
  const done = await agent
    .post('/account/two-step')
    .type('form')
    .send({ _csrf: csrfFrom(setup.text), code: totpAt(secret, now) })
    .expect(200)
  const codes = [...done.text.matchAll(/<li><code>([a-z0-9-]+)<\/code><\/li>/g)].map((m) => m[1]!)
  expect(codes).toHaveLength(10)
  now += 30_000 // the set-up code's step is used; the next sign-in takes a new one
  return { secret, codes }
}

describe('two-step sign-in', () => {
  let email: string
  let password: string
  let secret: string
  let codes: string[]
  let first: Agent

  beforeAll(async () => {
    const s = await signUp(t.app, 'Two Step Org', uniqueEmail('two-step'))
    ;({ email, password } = s)
    first = s.agent
    ;({ secret, codes } = await turnOn(first))
  })

  it('keeps the secret encrypted at rest and the recovery codes only as digests', async () => {
    const { user } = (await t.services.users.findForLogin(email))!
    const stored = await t.redis.hgetall(twoStepKey(user.tenantId, user.id))
    const digests = await t.redis.smembers(recoveryCodesKey(user.tenantId, user.id))
    expect(digests).toHaveLength(10)
    const dump = JSON.stringify([stored, digests])
    expect(dump).toContain('"secret":"v2.')
    expect(dump).not.toContain(secret)
    for (const c of codes) expect(dump).not.toContain(c)
  })

  it('asks for a code after the password, and the half-signed-in session reaches nothing else', async () => {
    const { agent, status, location } = await login(email, password)
    expect([status, location]).toEqual([303, '/login/two-step'])
    for (const path of ['/dashboard', '/account', '/support', '/admin/users', '/login'])
      await agent.get(path).expect(303).expect('Location', '/login/two-step')
    const page = await agent.get('/login/two-step').expect(200)
    expect(page.text).toContain('>Verify<')
    expect(page.text).not.toContain(email) // no signed-in header
    await agent
      .post('/account')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), language: 'de' })
      .expect(403)
    await agent.get('/api/docs').expect((r) => expect(r.text).not.toContain(email))

    const ok = await sendCode(agent, totpAt(secret, now))
    expect([ok.status, ok.headers.location]).toEqual([303, '/dashboard'])
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain(email)
  })

  it('refuses a code that was already used (replay), even within its window', async () => {
    now += 30_000
    const code = totpAt(secret, now)
    const a = await login(email, password)
    expect((await sendCode(a.agent, code)).status).toBe(303)
    const b = await login(email, password)
    const replay = await sendCode(b.agent, code)
    expect(replay.status).toBe(401)
    expect(replay.text).toContain('already used')
    // The previous step's code is older than the one used: refused too.
    expect((await sendCode(b.agent, totpAt(secret, now, -1))).status).toBe(401)
    // A code of the next step still works.
    expect((await sendCode(b.agent, totpAt(secret, now, 1))).status).toBe(303)
  })

  it('takes a recovery code once, and ends the other sessions', async () => {
    await first.get('/account').expect(200)
    const a = await login(email, password)
    const used = await sendCode(a.agent, codes[0]!.toUpperCase())
    expect([used.status, used.headers.location]).toEqual([303, '/dashboard'])
    expect((await a.agent.get('/dashboard').expect(200)).text).toContain('9 left')
    await first.get('/account').expect(303).expect('Location', '/login')
    const b = await login(email, password)
    expect((await sendCode(b.agent, codes[0]!)).status).toBe(401)
    first = a.agent
  })

  it('counts wrong codes like wrong passwords: 401, then 429', async () => {
    const { agent } = await login(email, password)
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await sendCode(agent, '000000')).status)
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
    const audit = await t.services.audit.page((await t.services.users.findForLogin(email))!.user.tenantId, 50)
    expect(audit.entries.filter((e) => e.action === 'signin.two_step_failed').length).toBeGreaterThanOrEqual(
      5,
    )
    expect(audit.entries.some((e) => e.action === 'signin.recovery_code_used')).toBe(true)
    expect(JSON.stringify(audit.entries)).not.toContain(secret)
    await t.services.people.limiter.unlock(email)
  })

  it('lists active sessions on /account, each with Sign out', async () => {
    now += 60_000
    const other = await login(email, password)
    expect((await sendCode(other.agent, totpAt(secret, now))).status).toBe(303)
    const page = await first.get('/account').expect(200)
    const handles = [...page.text.matchAll(/action="\/account\/sessions\/([0-9a-f]+)\/sign-out"/g)].map(
      (m) => m[1]!,
    )
    expect(handles.length).toBeGreaterThanOrEqual(2)
    expect(page.text).toContain('This session')
    const mine = /<li>[\s\S]*?This session[\s\S]*?sessions\/([0-9a-f]+)\/sign-out/.exec(page.text)![1]
    const theirs = handles.find((h) => h !== mine)!
    await other.agent.get('/dashboard').expect(200)
    await first
      .post(`/account/sessions/${theirs}/sign-out`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303)
    // Which of the others was ended is named by handle; at least the listed one is gone.
    const after = await first.get('/account').expect(200)
    expect(after.text).not.toContain(`sessions/${theirs}/sign-out`)
  })

  it('turns off only with the current password and a code, and ends the other sessions', async () => {
    now += 60_000
    const other = await login(email, password)
    expect((await sendCode(other.agent, totpAt(secret, now))).status).toBe(303)
    now += 30_000
    const csrf = await csrfOf(first, '/account')
    await first
      .post('/account/two-step/off')
      .type('form')
      .send({ _csrf: csrf, currentPassword: 'wrong password!', code: totpAt(secret, now) })
      .expect(303)
    expect((await first.get('/account').expect(200)).text).toContain('Turn off two-step sign-in')
    await first
      .post('/account/two-step/off')
      .type('form')
      .send({ _csrf: csrf, currentPassword: password, code: '123456' })
      .expect(303)
    expect((await first.get('/account').expect(200)).text).toContain('Turn off two-step sign-in')
    await first
      .post('/account/two-step/off')
      .type('form')
      .send({ _csrf: csrf, currentPassword: password, code: totpAt(secret, now) })
      .expect(303)
    expect((await first.get('/account').expect(200)).text).toContain('Set up two-step sign-in')
    await other.agent.get('/dashboard').expect(303)
    const plain = await login(email, password)
    expect([plain.status, plain.location]).toEqual([303, '/dashboard'])
  })
})

describe('required two-step for admins and support', () => {
  it('takes a support person without two-step to set-up right after the password; members go straight in', async () => {
    const admin = await signUp(t.app, 'Strict Org', uniqueEmail('strict'))
    const page = await admin.agent.get('/admin/credentials').expect(200)
    expect(page.text).toContain('Require two-step sign-in for admins and support')
    await admin.agent
      .post('/admin/settings')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), lowBalanceThreshold: '5', requireTwoStep: '1' })
      .expect(303)
    expect((await admin.agent.get('/admin/credentials').expect(200)).text).toMatch(
      /id="require-two-step"[^>]*checked/,
    )

    const supportEmail = uniqueEmail('support')
    await addUserAndSignIn(t.app, admin.agent, 'support', supportEmail).catch(() => undefined)
    const member = await addUserAndSignIn(t.app, admin.agent, 'member')
    await member.agent.get('/dashboard').expect(200)

    const s = await login(supportEmail, 'a long enough password')
    expect([s.status, s.location]).toEqual([303, '/login/two-step'])
    await s.agent.get('/support').expect(303).expect('Location', '/login/two-step')
    const setup = await s.agent.get('/login/two-step').expect(200)
    expect(setup.text).toContain('Turn on two-step sign-in')
    const secret = secretFrom(setup.text)
    const done = await s.agent
      .post('/login/two-step')
      .type('form')
      .send({ _csrf: csrfFrom(setup.text), code: totpAt(secret, now) })
      .expect(200)
    expect(done.text).toContain('Recovery codes')
    await s.agent.get('/support').expect(200)

    now += 30_000
    const again = await login(supportEmail, 'a long enough password')
    expect(again.location).toBe('/login/two-step')
    expect((await sendCode(again.agent, totpAt(secret, now))).headers.location).toBe('/support')
  })
})
