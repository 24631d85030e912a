import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { createRedis } from '../src/redis/client.js'
import { signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { freePort, startRedisServer, tempDir, waitFor, type RedisServer } from './helpers/redis-server.js'

/**
 * Redis goes away under a running app and comes back on the same port: readiness follows
 * it, pages answer a readable 503 meanwhile (never a hang), and the app recovers by itself.
 * The throwaway server writes an fsync'd append-only file, so the session outlives the crash.
 */
const tmp = tempDir('outage')
let port: number
let server: RedisServer
let t: TestApp
let agent: Agent
let email: string

const startServer = () =>
  startRedisServer(port, ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', tmp.dir])

beforeAll(async () => {
  port = await freePort()
  server = await startServer()
  t = await startTestApp({
    name: 'outage',
    openRedis: async (prefix) => {
      const redis = createRedis(`redis://127.0.0.1:${port}`, prefix)
      redis.on('error', () => {}) // reconnect noise while the server is down, expected here
      await redis.connect()
      return redis
    },
  })
  ;({ agent, email } = await signUp(t.app, 'Outage Org'))
}, 30_000)

afterAll(async () => {
  await t?.close()
  await server?.stop()
  tmp.remove()
})

const readyz = () => supertest(t.app).get('/readyz').timeout(5_000)

describe('Redis outage', () => {
  it('is ready, goes 503 with a reason and readable pages while Redis is down, and recovers', async () => {
    await readyz().expect(200, { status: 'ready' })
    await agent.get('/dashboard').expect(200)

    await server.stop('SIGKILL')
    const down = await readyz().expect(503)
    expect(down.body.status).toBe('unavailable')
    expect(down.body.reason).toMatch(/redis/i)

    const started = Date.now()
    const page = await agent.get('/dashboard').timeout(8_000).expect(503)
    expect(Date.now() - started).toBeLessThan(6_000)
    expect(page.headers['content-type']).toMatch(/text\/html/)
    expect(page.headers['retry-after']).toBe('5')
    expect(page.text).toContain('Temporarily unavailable')
    expect(page.text).toContain('cannot reach its data store')
    const json = await agent.get('/dashboard').set('Accept', 'application/json').timeout(8_000).expect(503)
    expect(json.body.error).toBe('service_unavailable')

    server = await startServer()
    await waitFor('/readyz to answer 200 again', async () => (await readyz()).status === 200, 15_000)
    // Same session as before the crash: it was in the append-only file.
    const back = await agent.get('/dashboard').timeout(5_000).expect(200)
    expect(back.text).toContain(email)
  }, 40_000)
})
