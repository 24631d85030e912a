/**
 * The request log (issue 13): one whitelisted line per request, the `x-request-id` kept,
 * and the buffered output written out when the process stops on SIGTERM.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { startAppProcess, waitUntilServing } from './helpers/app-process.js'
import { dropPrefix, uniquePrefix } from './helpers/redis.js'
import { freePort } from './helpers/redis-server.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'request-log' })
})
afterAll(() => t.close())

interface Line {
  msg: string
  req?: { id: string; method: string; path: string }
  res?: { statusCode: number }
  userId?: string
  tenantId?: string
  responseTime?: number
}
const lines = () => t.logs.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Line)
const linesOf = (id: string) => lines().filter((l) => l.req?.id === id)

describe('request log', () => {
  it('writes one line per request with id, method, path without query, status, user, tenant and time', async () => {
    const { agent } = await signUp(t.app)
    const id = `test-${randomBytes(4).toString('hex')}`
    const res = await agent.get('/dashboard?code=secret-code-123').set('x-request-id', id).expect(200)
    expect(res.headers['x-request-id']).toBe(id)
    await sleep(20) // the line is written when the response closes
    const mine = linesOf(id)
    expect(mine).toHaveLength(1)
    const line = mine[0]!
    expect(line.msg).toBe('request completed')
    expect(line.req).toEqual({ id, method: 'GET', path: '/dashboard' })
    expect(line.res).toEqual({ statusCode: 200 })
    expect(line.userId).toMatch(/^[0-9a-f]{24}$/)
    expect(line.tenantId).toBeTruthy()
    expect(typeof line.responseTime).toBe('number')
    expect(JSON.stringify(t.logs)).not.toContain('secret-code-123')
  })

  it('makes an id when none or a malformed one is given, and leaves /healthz out', async () => {
    const res = await supertest(t.app).get('/login').set('x-request-id', 'bad id {}').expect(200)
    const id = res.headers['x-request-id'] as string
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    await sleep(20)
    expect(linesOf(id)).toHaveLength(1)
    expect(linesOf(id)[0]!.userId).toBeUndefined()
    const health = await supertest(t.app).get('/healthz')
    await sleep(20)
    expect(linesOf(health.headers['x-request-id'] as string)).toHaveLength(0)
  })

  it('writes out the buffered lines when the process stops on SIGTERM', async () => {
    const prefix = uniquePrefix('request-log-proc')
    const port = await freePort()
    const app = startAppProcess(port, {
      SANDBOX: '1',
      REDIS_KEY_PREFIX: prefix,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      SESSION_SECRET: randomBytes(32).toString('hex'),
    })
    try {
      await waitUntilServing(app)
      const id = `flush-${randomBytes(4).toString('hex')}`
      await fetch(`${app.base}/login`, { headers: { 'x-request-id': id } })
      app.proc.kill('SIGTERM') // well within the second between periodic flushes
      expect(await app.exit, app.output()).toBe(0)
      expect(app.output()).toMatch(new RegExp(`"id":"${id}".*"request completed"`))
    } finally {
      if (app.proc.exitCode === null) app.proc.kill('SIGKILL')
      await dropPrefix(prefix)
    }
  })
})
