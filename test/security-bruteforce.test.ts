/**
 * Brute force: failed sign-ins are limited per IP and per account, sign-ups per IP, and
 * the counters live in Redis so every instance enforces the same limit.
 */
import type { Express } from 'express'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/boot/app.js'
import type { LoginLimits } from '../src/auth/login-limiter.js'
import { createLogger } from '../src/logging/logger.js'
import type { Redis } from '../src/redis/client.js'
import { csrfFrom, signUp, startTestApp, uniqueEmail, type TestApp } from './helpers/app.js'
import { keysUnder, openRedis } from './helpers/redis.js'

const LIMITS: LoginLimits = {
  perIp: { points: 6, durationSec: 60 },
  perAccount: { points: 3, durationSec: 60 },
  signupPerIp: { points: 3, durationSec: 60 },
}

let t: TestApp
const extraClients: Redis[] = []

beforeAll(async () => {
  t = await startTestApp({ name: 'sec-brute', deps: { loginLimits: LIMITS } })
})
afterAll(async () => {
  for (const r of extraClients) r.disconnect()
  await t.close()
})

/** A second app instance on the same Redis prefix, with its own connection, as in production. */
async function secondInstance(
  app: TestApp,
  limits: LoginLimits,
  env: Partial<TestApp['config']> = {},
): Promise<Express> {
  const redis = await openRedis(app.prefix)
  extraClients.push(redis)
  return createApp({
    config: { ...app.config, ...env },
    redis,
    logger: createLogger('silent'),
    loginLimits: limits,
  })
}

async function attempt(app: Express, email: string, password: string, ip?: string): Promise<number> {
  const agent = supertest.agent(app)
  const page = await agent.get('/login').expect(200)
  const req = agent.post('/login').type('form')
  if (ip) req.set('X-Forwarded-For', ip)
  return (await req.send({ _csrf: csrfFrom(page.text), email, password })).status
}

/** Each test gets its own app so the per-IP counter (all tests come from 127.0.0.1) starts at zero. */
async function freshApp(name: string, limits = LIMITS, env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp({ name, deps: { loginLimits: limits }, sandbox: t.sandbox, env })
}

describe('sign-in limits', () => {
  it('locks an account after 3 failures, for every spelling of its email, even with the right password', async () => {
    const a = await freshApp('sec-brute-acct', { ...LIMITS, perIp: { points: 1000, durationSec: 60 } })
    try {
      const { email, password } = await signUp(a.app)
      expect(await attempt(a.app, email, 'wrong password 1')).toBe(401)
      expect(await attempt(a.app, email.toUpperCase(), 'wrong password 2')).toBe(401)
      expect(await attempt(a.app, `  ${email}  `, 'wrong password 3')).toBe(401)
      expect(await attempt(a.app, email, password)).toBe(429)
      expect(await attempt(a.app, email.toUpperCase(), password)).toBe(429)
      // Another account from the same IP is not affected by this account's lock.
      const other = await signUp(a.app)
      expect(await attempt(a.app, other.email, other.password)).toBe(303)
    } finally {
      await a.close()
    }
  })

  it('locks an unknown email the same way, so the lock does not reveal which emails exist', async () => {
    const a = await freshApp('sec-brute-unknown', { ...LIMITS, perIp: { points: 1000, durationSec: 60 } })
    try {
      const ghost = uniqueEmail('ghost')
      const statuses = [] as number[]
      for (let i = 0; i < 4; i++) statuses.push(await attempt(a.app, ghost, 'whatever pw'))
      expect(statuses).toEqual([401, 401, 401, 429])
    } finally {
      await a.close()
    }
  })

  it('limits failures per IP across accounts, and X-Forwarded-For cannot reset it when no proxy is trusted', async () => {
    const a = await freshApp('sec-brute-ip', { ...LIMITS, perAccount: { points: 1000, durationSec: 60 } })
    try {
      const { email, password } = await signUp(a.app)
      for (let i = 0; i < 6; i++)
        expect(await attempt(a.app, uniqueEmail('spray'), 'password spray', `203.0.113.${i}`)).toBe(401)
      expect(await attempt(a.app, uniqueEmail('spray'), 'password spray', '198.51.100.7')).toBe(429)
      // The whole IP is blocked now, whatever account or header.
      expect(await attempt(a.app, email, password, '198.51.100.8')).toBe(429)
      const keys = (await keysUnder(a.prefix)).filter((k) => k.startsWith('rl:login-ip'))
      expect(keys).toHaveLength(1)
    } finally {
      await a.close()
    }
  })

  it('counts per client IP behind a trusted proxy (TRUST_PROXY=1), one address at a time', async () => {
    const a = await freshApp(
      'sec-brute-proxy',
      { ...LIMITS, perAccount: { points: 1000, durationSec: 60 } },
      { TRUST_PROXY: '1' },
    )
    try {
      for (let i = 0; i < 6; i++)
        expect(await attempt(a.app, uniqueEmail('spray'), 'nope nope', '203.0.113.10')).toBe(401)
      expect(await attempt(a.app, uniqueEmail('spray'), 'nope nope', '203.0.113.10')).toBe(429)
      expect(await attempt(a.app, uniqueEmail('spray'), 'nope nope', '203.0.113.11')).toBe(401)
    } finally {
      await a.close()
    }
  })

  it('shares the counters between two instances on one Redis: failures on either lock the account on both', async () => {
    const a = await freshApp('sec-brute-shared', { ...LIMITS, perIp: { points: 1000, durationSec: 60 } })
    try {
      const b = await secondInstance(a, { ...LIMITS, perIp: { points: 1000, durationSec: 60 } })
      const { email, password } = await signUp(a.app)
      expect(await attempt(a.app, email, 'wrong 1')).toBe(401)
      expect(await attempt(b, email, 'wrong 2')).toBe(401)
      expect(await attempt(a.app, email, 'wrong 3')).toBe(401)
      expect(await attempt(b, email, password)).toBe(429)
      expect(await attempt(a.app, email, password)).toBe(429)
    } finally {
      await a.close()
    }
  })

  it('shares the per-IP counter between instances too', async () => {
    const limits = {
      ...LIMITS,
      perIp: { points: 4, durationSec: 60 },
      perAccount: { points: 1000, durationSec: 60 },
    }
    const a = await freshApp('sec-brute-shared-ip', limits)
    try {
      const b = await secondInstance(a, limits)
      for (const app of [a.app, b, a.app, b])
        expect(await attempt(app, uniqueEmail('spray'), 'nope nope')).toBe(401)
      expect(await attempt(a.app, uniqueEmail('spray'), 'nope nope')).toBe(429)
      expect(await attempt(b, uniqueEmail('spray'), 'nope nope')).toBe(429)
    } finally {
      await a.close()
    }
  })
})

describe('sign-up limits', () => {
  async function signUpStatus(app: Express, org: string): Promise<number> {
    const agent = supertest.agent(app)
    const page = await agent.get('/signup').expect(200)
    return (
      await agent
        .post('/signup')
        .type('form')
        .send({
          _csrf: csrfFrom(page.text),
          organization: org,
          email: uniqueEmail('signup'),
          password: 'long enough pw',
        })
    ).status
  }

  it('allows 3 sign-ups per IP, shared by two instances; the 4th creates nothing', async () => {
    const limits = { ...LIMITS, signupPerIp: { points: 3, durationSec: 60 } }
    const a = await freshApp('sec-brute-signup', limits)
    try {
      const b = await secondInstance(a, limits)
      expect(await signUpStatus(a.app, 'Signup One')).toBe(303)
      expect(await signUpStatus(b, 'Signup Two')).toBe(303)
      expect(await signUpStatus(a.app, 'Signup Three')).toBe(303)
      const before = (await keysUnder(a.prefix))
        .filter((k) => k.startsWith('t:') || k.startsWith('email:'))
        .sort()
      const blocked = supertest.agent(b)
      const page = await blocked.get('/signup').expect(200)
      const res = await blocked
        .post('/signup')
        .type('form')
        .send({
          _csrf: csrfFrom(page.text),
          organization: 'Signup Four',
          email: uniqueEmail('signup'),
          password: 'long enough pw',
        })
      expect(res.status).toBe(429)
      expect(res.text).toContain('Too many sign-ups')
      expect(
        (await keysUnder(a.prefix)).filter((k) => k.startsWith('t:') || k.startsWith('email:')).sort(),
      ).toEqual(before)
      await blocked.get('/dashboard').expect(303).expect('location', '/login')
    } finally {
      await a.close()
    }
  })
})
