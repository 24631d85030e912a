import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { csrfFrom, csrfOf, signUp, startTestApp, uniqueEmail, type TestApp } from './helpers/app.js'
import { keysUnder } from './helpers/redis.js'
import { linkIn, startSmtpSink } from './helpers/smtp-sink.js'

let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>

beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({
    name: 'password-reset',
    env: { SMTP_URL: sink.url, MAIL_FROM: 'Switchboard <mail@switchboard.test>', TRUST_PROXY: '1' },
    deps: {
      loginLimits: {
        perIp: { points: 1000, durationSec: 60 },
        perAccount: { points: 3, durationSec: 60 },
        signupPerIp: { points: 1000, durationSec: 60 },
        forgotPerIp: { points: 6, durationSec: 60 },
        forgotPerAccount: { points: 2, durationSec: 60 },
      },
    },
  })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

async function forgot(email: string, ip = '198.51.100.7') {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/forgot').expect(200)
  expect(page.text).toContain('Send reset link')
  return agent
    .post('/forgot')
    .set('X-Forwarded-For', ip)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email })
}

async function login(email: string, password: string, ip?: string) {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login')
  const req = agent.post('/login')
  if (ip) req.set('X-Forwarded-For', ip)
  const res = await req.type('form').send({ _csrf: csrfFrom(page.text), email, password })
  return { agent, res }
}

async function setPassword(link: string, password: string) {
  const agent = supertest.agent(t.app)
  const path = new URL(link).pathname
  const page = await agent.get(path)
  if (page.status !== 200) return page
  return agent
    .post(path)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), password })
}

const visible = (html: string) =>
  html.replace(/name="_csrf" value="[^"]+"/g, '').replace(/value="[^"]*"/g, '')

describe('password reset by mail (issue 15)', () => {
  it('answers a known and an unknown address with the same page and status, and mails only the known', async () => {
    const { email } = await signUp(t.app, 'Reset Co')
    const stranger = uniqueEmail('nobody')
    const [known, unknown] = [await forgot(email, '198.51.100.1'), await forgot(stranger, '198.51.100.2')]
    expect([known.status, unknown.status]).toEqual([200, 200])
    expect(visible(known.text)).toBe(visible(unknown.text))
    expect(known.text).toContain('If an account uses that address, a reset link is on its way')
    const mail = await sink.mailTo(email)
    expect(mail).toMatchObject({
      from: '"Switchboard" <mail@switchboard.test>',
      subject: 'Reset your Switchboard password',
    })
    expect(mail.text).toMatch(/within 30 minutes/)
    expect(mail.html).toContain(`<a href="${linkIn(mail, '/reset/')}">`)
    expect(linkIn(mail, '/reset/')).toMatch(/^http:\/\/switchboard\.test\/reset\/[A-Za-z0-9_-]{43}$/)
    await new Promise((r) => setTimeout(r, 200))
    expect(sink.mails.filter((m) => m.to === stranger)).toEqual([])
  })

  it('works once, ends every session of the person, and stores only a digest of the token', async () => {
    const { agent: first, email } = await signUp(t.app, 'Reset Once')
    const { agent: second } = await login(email, 'correct horse battery')
    expect((await forgot(email, '198.51.100.3')).status).toBe(200)
    const link = linkIn(await sink.mailTo(email), '/reset/')
    const token = link.split('/').pop()!
    expect((await keysUnder(t.prefix)).some((k) => k.includes(token))).toBe(false)
    const done = await setPassword(link, 'a brand new password')
    expect(done.status).toBe(303)
    expect(done.headers.location).toBe('/login')
    // Both earlier sessions are gone.
    await first.get('/dashboard').expect(303).expect('location', '/login')
    await second.get('/dashboard').expect(303).expect('location', '/login')
    // The link is spent; the new password works, the old one no longer does.
    expect((await supertest(t.app).get(new URL(link).pathname)).status).toBe(404)
    expect((await setPassword(link, 'another new password')).status).toBe(404)
    expect((await login(email, 'correct horse battery')).res.status).toBe(401)
    expect((await login(email, 'a brand new password')).res.status).toBe(303)
  })

  it('refuses an expired link, a malformed one, and the older of two links', async () => {
    const { email } = await signUp(t.app, 'Reset Expiry')
    await forgot(email, '198.51.100.4')
    const older = linkIn(await sink.mailTo(email, 1), '/reset/')
    await forgot(email, '198.51.100.4')
    const newer = linkIn(await sink.mailTo(email, 2), '/reset/')
    expect((await supertest(t.app).get(new URL(older).pathname)).status).toBe(404)
    expect((await supertest(t.app).get('/reset/not-a-token')).status).toBe(404)
    // 30 minutes pass: the key's TTL runs out.
    const keys = (await keysUnder(t.prefix)).filter((k) => k.startsWith('reset:'))
    const ttls = await Promise.all(keys.map((k) => t.redis.ttl(k)))
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(29 * 60)
    for (const ttl of ttls) expect(ttl).toBeLessThanOrEqual(30 * 60)
    await Promise.all(keys.map((k) => t.redis.del(k)))
    expect((await setPassword(newer, 'too late a password')).status).toBe(404)
  })

  it('clears the login lock: a locked-out person gets back in through reset', async () => {
    const { email } = await signUp(t.app, 'Reset Lock')
    for (let i = 0; i < 3; i++)
      expect((await login(email, 'wrong password', '203.0.113.9')).res.status).toBe(401)
    expect((await login(email, 'correct horse battery', '203.0.113.9')).res.status).toBe(429)
    await forgot(email, '198.51.100.5')
    await setPassword(linkIn(await sink.mailTo(email), '/reset/'), 'back in at last!')
    expect((await login(email, 'back in at last!', '203.0.113.9')).res.status).toBe(303)
  })

  it('rate-limits reset requests per network, and mails one account only so often', async () => {
    const email = (await signUp(t.app, 'Reset Limit')).email
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) statuses.push((await forgot(email, '192.0.2.77')).status)
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429])
    await sink.mailTo(email, 2)
    await new Promise((r) => setTimeout(r, 300))
    expect(sink.mails.filter((m) => m.to === email)).toHaveLength(2)
  })
})

describe('sign-up with an address that has an account (issue 15)', () => {
  it('does not say so on the page; it mails the owner instead and leaves no organisation behind', async () => {
    const { email } = await signUp(t.app, 'First Owner')
    const agent = supertest.agent(t.app)
    const page = await agent.get('/signup')
    const res = await agent
      .post('/signup')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), organization: 'Copycat', email, password: 'another password 1' })
    expect(res.status).toBe(200)
    expect(res.text).toContain('Check your inbox')
    expect(res.text).not.toMatch(/already exists/i)
    const mail = await sink.mailTo(email)
    expect(mail.subject).toBe('Your Switchboard account')
    expect(linkIn(mail, '/forgot')).toBe('http://switchboard.test/forgot')
    expect(await t.services.tenants.get('copycat')).toBeNull()
  })
})

describe('account settings (issue 15)', () => {
  it('changes the password with the current one; other sessions end, this one stays', async () => {
    const { agent, email } = await signUp(t.app, 'Settings & Co')
    const { agent: other } = await login(email, 'correct horse battery')
    const page = await agent.get('/account').expect(200)
    for (const label of [
      'Current password',
      'New password',
      'Change password',
      'Language',
      'Settings &amp; Co',
    ])
      expect(page.text).toContain(label)
    const wrong = await agent
      .post('/account')
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        currentPassword: 'not it at all',
        newPassword: 'a changed password',
      })
    expect(wrong.status).toBe(400)
    expect(wrong.text).toContain('That is not your current password.')
    await agent
      .post('/account')
      .type('form')
      .send({
        _csrf: await csrfOf(agent, '/account'),
        currentPassword: 'correct horse battery',
        newPassword: 'a changed password',
      })
      .expect(303)
    await agent.get('/dashboard').expect(200)
    await other.get('/dashboard').expect(303).expect('location', '/login')
    expect((await login(email, 'a changed password')).res.status).toBe(303)
    await supertest(t.app).get('/account').expect(303).expect('location', '/login')
  })
})
