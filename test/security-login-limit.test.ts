/**
 * The contract's "Login limit": a wrong password is 401, a refusal 429; the limit holds for
 * guesses sent in parallel (an attempt is counted before the password is checked); the
 * per-account limit is kept per account and network, so a stranger cannot lock a person out.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { clientAddress, clientNetwork, type LoginLimits } from '../src/auth/login-limiter.js'
import { csrfFrom, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { keysUnder } from './helpers/redis.js'

const LIMITS: LoginLimits = {
  perIp: { points: 1000, durationSec: 60 },
  perAccount: { points: 5, durationSec: 60 },
  signupPerIp: { points: 1000, durationSec: 60 },
}

let t: TestApp
beforeAll(async () => {
  // Behind one trusted proxy, so each test can send from the network it needs.
  t = await startTestApp({ name: 'login-limit', deps: { loginLimits: LIMITS }, env: { TRUST_PROXY: '1' } })
})
afterAll(() => t.close())

async function loginForm() {
  const agent = supertest.agent(t.app)
  const csrf = csrfFrom((await agent.get('/login').expect(200)).text)
  return (email: string, password: string, from: string) =>
    agent.post('/login').type('form').set('X-Forwarded-For', from).send({ _csrf: csrf, email, password })
}

describe('login limit', () => {
  it('lets only 5 of 20 parallel wrong passwords reach the password check', async () => {
    const { email } = await signUp(t.app)
    const post = await loginForm()
    const checks = vi.spyOn(t.services.accounts, 'checkCredentials')
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => post(email, `wrong password ${i}`, '203.0.113.5')),
      )
      const statuses = answers.map((a) => a.status).sort()
      expect(statuses).toEqual([...Array<number>(5).fill(401), ...Array<number>(15).fill(429)])
      expect(checks).toHaveBeenCalledTimes(5)
      const refused = answers.find((a) => a.status === 429)!
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
      expect(refused.text).toContain('Too many failed attempts')
      expect(answers.find((a) => a.status === 401)!.text).toContain('do not match an account')
    } finally {
      checks.mockRestore()
    }
  })

  it('keeps a lock to the network it came from: the same account signs in from another', async () => {
    const { email, password } = await signUp(t.app)
    const post = await loginForm()
    for (let i = 0; i < 5; i++) expect((await post(email, 'not it at all', '203.0.113.7')).status).toBe(401)
    // Locked for that /24, even with the right password ...
    expect((await post(email, password, '203.0.113.99')).status).toBe(429)
    // ... but not for the person on their own network.
    expect((await post(email, password, '198.51.100.20')).status).toBe(303)
  })

  it('treats an IPv6 /56 as one network (issue 28): another /64 in it is held, another /56 is not', async () => {
    const { email, password } = await signUp(t.app)
    const post = await loginForm()
    for (let i = 0; i < 5; i++)
      expect((await post(email, 'not it at all', `2001:db8:a:${i + 1}::1`)).status).toBe(401)
    expect((await post(email, password, '2001:db8:a:ff::9')).status).toBe(429)
    expect((await post(email, password, '2001:db8:a:100::1')).status).toBe(303)
  })

  it('clears the failures when the right password comes, so they never add up to a lock', async () => {
    const { email, password } = await signUp(t.app)
    const post = await loginForm()
    const accountKeys = async () =>
      (await keysUnder(t.prefix)).filter((k) => k.startsWith('rl:login-acct') && k.includes(email))
    for (let i = 0; i < 4; i++) expect((await post(email, 'almost right', '192.0.2.1')).status).toBe(401)
    expect(await accountKeys()).toHaveLength(1)
    expect((await post(email, password, '192.0.2.1')).status).toBe(303)
    expect(await accountKeys()).toEqual([])
    const after = await loginForm()
    const statuses = [] as number[]
    for (let i = 0; i < 6; i++) statuses.push((await after(email, 'almost right', '192.0.2.1')).status)
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429])
  })
})

describe('client networks', () => {
  it('keeps IPv4 per address and per /24, IPv6 per /64 and per /56', () => {
    expect([clientAddress('203.0.113.5'), clientNetwork('203.0.113.5')]).toEqual([
      '203.0.113.5',
      '203.0.113.0/24',
    ])
    expect([clientAddress('::ffff:127.0.0.1'), clientNetwork('::ffff:127.0.0.1')]).toEqual([
      '127.0.0.1',
      '127.0.0.0/24',
    ])
    const v6 = '2001:0db8:000a:000b::/64'
    const net = '2001:0db8:000a:0000::/56'
    expect([clientAddress('2001:DB8:a:b::1'), clientNetwork('2001:db8:a:b:1:2:3:4')]).toEqual([v6, net])
    expect(clientNetwork('2001:db8:a:b::1.2.3.4')).toBe(net)
    expect(clientNetwork('2001:db8:a:1ff::1')).toBe('2001:0db8:000a:0100::/56')
    expect(clientNetwork('::1')).toBe('0000:0000:0000:0000::/56')
    expect(clientNetwork('unknown')).toBe('unknown')
  })
})
