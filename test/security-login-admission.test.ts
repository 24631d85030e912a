/**
 * Issue 28, finding 4: past the ceiling of failures from everywhere, one account admits at
 * most one attempt per delay interval (the others 429 with Retry-After, before any password
 * check), a browser that signed in to the account before (a signed known-device cookie)
 * is not held back (an IPv6 network counted per account at /56: security-login-limit.test.ts). The contract's
 * rules stay: 401 wrong, 429 by the limit, counted before checking, reset always gets in.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { LoginLimits } from '../src/auth/login-limiter.js'
import { csrfFrom, csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { linkIn, startSmtpSink } from './helpers/smtp-sink.js'

const INTERVAL_MS = 2000 // long enough that requests sent together surely fall inside it
const LIMITS: LoginLimits = {
  perIp: { points: 1000, durationSec: 60 },
  perAccount: { points: 5, durationSec: 60 },
  signupPerIp: { points: 1000, durationSec: 60 },
  perAccountEverywhere: { free: 3, durationSec: 60, baseDelayMs: INTERVAL_MS, maxDelayMs: INTERVAL_MS },
}

let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>
beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({
    name: 'login-admission',
    deps: { loginLimits: LIMITS },
    env: { TRUST_PROXY: '1', SMTP_URL: sink.url },
  })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

async function login(agent: Agent, email: string, password: string, from: string) {
  const page = await agent.get('/login').expect(200)
  return agent
    .post('/login')
    .type('form')
    .set('X-Forwarded-For', from)
    .send({ _csrf: csrfFrom(page.text), email, password })
}
const stranger = () => supertest.agent(t.app)

/** Failures from `n` different networks, one after another: the per-network limit never trips. */
async function failFromEverywhere(email: string, n: number, offset = 0) {
  for (let i = 0; i < n; i++)
    expect((await login(stranger(), email, 'wrong guess', `100.64.${offset + i}.1`)).status).toBe(401)
}

describe('sign-in admission past the ceiling', () => {
  it('admits one of many parallel guesses from many networks; the rest 429 with Retry-After, unchecked', async () => {
    const { email } = await signUp(t.app, 'Admission Org')
    await failFromEverywhere(email, 3)
    const checks = vi.spyOn(t.services.accounts, 'checkCredentials')
    try {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => login(stranger(), email, `guess ${i}`, `100.65.${i}.1`)),
      )
      const statuses = answers.map((a) => a.status).sort()
      expect(statuses).toEqual([401, ...Array<number>(9).fill(429)])
      expect(checks).toHaveBeenCalledTimes(1)
      const refused = answers.find((a) => a.status === 429)!
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      expect(refused.text).toContain('Too many')
    } finally {
      checks.mockRestore()
    }
    // Once the interval has passed, the next attempt is checked again (and the right one gets in).
    await sleep(INTERVAL_MS + 50)
    expect((await login(stranger(), email, 'correct horse battery', '100.66.0.1')).status).toBe(303)
  })

  it('does not hold back a browser that signed in to the account before; a forged cookie counts for nothing', async () => {
    const { email, password } = await signUp(t.app, 'Known Device Org')
    const own = stranger()
    expect((await login(own, email, password, '198.51.100.10')).status).toBe(303)
    // Signed out: the session ends, the browser stays known.
    await own
      .post('/logout')
      .type('form')
      .send({ _csrf: await csrfOf(own, '/dashboard') })
      .expect(303)
    expect((await own.get('/dashboard')).status).toBe(303)
    await failFromEverywhere(email, 4, 10) // the last one holds the gate
    const forged = stranger()
    forged.jar.setCookie(`sb.kd=${Date.now() + 9e9}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; Path=/`)
    expect((await login(forged, email, password, '100.67.0.1')).status).toBe(429)
    const back = await login(own, email, password, '198.51.100.10')
    expect(back.status).toBe(303)
    expect(back.headers.location).toBe('/dashboard')
  })

  it('a password reset always gets the person back in', async () => {
    const { email } = await signUp(t.app, 'Reset Admission Org')
    await failFromEverywhere(email, 4, 20)
    const agent = stranger()
    const page = await agent.get('/forgot')
    await agent
      .post('/forgot')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email })
      .expect(200)
    const path = new URL(linkIn(await sink.mailTo(email), '/reset/')).pathname
    const form = await agent.get(path).expect(200)
    await agent
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), password: 'the reset password' })
      .expect(303)
    expect((await login(stranger(), email, 'the reset password', '100.68.0.1')).status).toBe(303)
  })
})
