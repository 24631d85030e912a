/**
 * Redis faults, on a throwaway redis-server of this file's own (never the shared one):
 * killed under a running app → readable 503 pages and JSON, /healthz still up, no crash;
 * restarted → the app recovers by itself; restarted with an append-only file → sessions
 * and tokens are all still there.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildServices, createApp } from '../src/boot/app.js'
import { loadConfig } from '../src/config/config.js'
import { createLogger } from '../src/logging/logger.js'
import { createRedis } from '../src/redis/client.js'
import { csrfFrom, csrfOf, providerEnv, uniqueEmail, type Agent } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { startSandbox, type RunningSandbox } from './helpers/sandbox-server.js'

const children = new Set<ChildProcess>()
const cleanups: Array<() => unknown> = []
let sandbox: RunningSandbox
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)

beforeAll(async () => {
  sandbox = await startSandbox()
  process.on('unhandledRejection', onUnhandled)
})
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled)
  for (const c of cleanups) await c()
  for (const child of children) child.kill('SIGKILL')
  await sandbox.close()
})

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

/** True once something answers PING on the port. */
async function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.setTimeout(300)
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (d) => {
      socket.destroy()
      resolve(d.toString().startsWith('+PONG'))
    })
    socket.on('error', () => resolve(false))
    socket.on('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

async function startRedisServer(port: number, persistence?: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no']
  args.push(
    ...(persistence
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', persistence]
      : ['--appendonly', 'no']),
  )
  const child = spawn('redis-server', args, { stdio: 'ignore' })
  children.add(child)
  child.on('exit', () => children.delete(child))
  for (let i = 0; i < 100; i++) {
    if (await pings(port)) return child
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`redis-server on ${port} did not start`)
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

/** The real app on the given Redis, with the shared test sandbox as its providers. */
async function appOn(
  port: number,
  keys = { session: randomBytes(32).toString('hex'), token: randomBytes(32).toString('base64') },
) {
  const url = `redis://127.0.0.1:${port}`
  const config = loadConfig({
    NODE_ENV: 'test',
    BASE_URL: 'http://switchboard.test',
    REDIS_URL: url,
    REDIS_KEY_PREFIX: 'sb:',
    SESSION_SECRET: keys.session,
    TOKEN_ENCRYPTION_KEY: keys.token,
    ...providerEnv(sandbox),
  })
  const redis = createRedis(url, config.redisKeyPrefix)
  const redisErrors: string[] = []
  redis.on('error', (err: Error) => redisErrors.push(err.message))
  await redis.connect()
  cleanups.push(() => redis.disconnect())
  const deps = { config, redis, logger: createLogger('silent'), panelCacheTtlSec: 0 }
  const services = buildServices(deps)
  return { app: createApp(deps, services), services, redis, redisErrors, keys }
}

async function signUpOn(
  app: Parameters<typeof supertest.agent>[0],
): Promise<{ agent: Agent; email: string }> {
  const agent = supertest.agent(app)
  const email = uniqueEmail('redis')
  const page = await agent.get('/signup').expect(200)
  await agent
    .post('/signup')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), organization: 'Redis Org', email, password: 'correct horse battery' })
    .expect(303)
  return { agent, email }
}

async function connectBoth(agent: Agent): Promise<void> {
  const begun = await agent
    .post('/connect/sms77')
    .type('form')
    .send(`_csrf=${encodeURIComponent(await csrfOf(agent))}&scope=balance&scope=journal`)
    .expect(303)
  const consent = await pressConsent(begun.headers.location!, 'Allow')
  await agent.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
  const nexmo = await agent
    .post('/connect/nexmo')
    .type('form')
    .send({ _csrf: await csrfOf(agent) })
    .expect(303)
  const allowed = await pressConsent(nexmo.headers.location!, 'Allow')
  await agent.get(pathOf(allowed.location)).expect(303).expect('location', '/dashboard')
}

async function waitReady(app: Parameters<typeof supertest>[0], withinMs: number): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < withinMs) {
    if ((await supertest(app).get('/readyz')).status === 200) return Date.now() - started
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`not ready within ${withinMs} ms`)
}

describe('Redis goes away and comes back (no persistence)', () => {
  it('answers readable 503s while it is down, keeps /healthz up, never crashes, and recovers by itself', async () => {
    const port = await freePort()
    let server = await startRedisServer(port)
    const { app, redisErrors } = await appOn(port)
    const { agent } = await signUpOn(app)
    await agent.get('/dashboard').expect(200)

    await killHard(server)
    const answers: Array<{ what: string; status: number; ms: number; body: string; retryAfter?: string }> = []
    const probe = async (what: string, req: PromiseLike<supertest.Response>) => {
      const started = Date.now()
      const res = await req
      answers.push({
        what,
        status: res.status,
        ms: Date.now() - started,
        body: res.text,
        retryAfter: res.headers['retry-after'],
      })
      return res
    }
    const page = await probe('dashboard html', agent.get('/dashboard').set('Accept', 'text/html'))
    const json = await probe('dashboard json', agent.get('/dashboard').set('Accept', 'application/json'))
    await probe('post login', agent.post('/login').type('form').send({ email: 'a@b.test', password: 'x' }))
    await probe('post refresh', agent.post('/dashboard/refresh').type('form').send({}))
    const ready = await probe('readyz', supertest(app).get('/readyz'))
    const health = await probe('healthz', supertest(app).get('/healthz'))

    expect(page.status).toBe(503)
    expect(page.text).toContain('Temporarily unavailable')
    expect(page.text).toContain('cannot reach its data store right now')
    expect(page.text).not.toMatch(/MaxRetriesPerRequest|ECONNREFUSED|\n\s+at /)
    expect(page.headers['retry-after']).toBe('5')
    expect(json.body).toEqual({
      error: 'service_unavailable',
      message: 'Switchboard cannot reach its data store right now. Please try again in a minute.',
    })
    expect(answers.find((a) => a.what === 'post login')!.status).toBe(503)
    expect(answers.find((a) => a.what === 'post refresh')!.status).toBe(503)
    expect(ready.status).toBe(503)
    expect(ready.body.status).toBe('unavailable')
    expect(health.status).toBe(200)
    // Every answer came back in bounded time (commands fail fast instead of queueing).
    for (const a of answers) expect(a.ms, a.what).toBeLessThan(5_000)
    expect(redisErrors.length).toBeGreaterThan(0)

    server = await startRedisServer(port)
    expect(await waitReady(app, 8_000)).toBeLessThan(8_000)
    // The data went with the process: the old cookie is simply anonymous now, and a new
    // sign-up works on the very same app without a restart.
    await agent.get('/dashboard').expect(303).expect('location', '/login')
    const again = await signUpOn(app)
    await again.agent.get('/dashboard').expect(200)
    expect(unhandled).toEqual([])
    await killHard(server)
  })
})

describe('Redis restarted with an append-only file', () => {
  it('keeps sessions, users and encrypted tokens: the same cookie reaches the same connected dashboard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-redis-aof-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const port = await freePort()
    let server = await startRedisServer(port, dir)
    const first = await appOn(port)
    const { agent, email } = await signUpOn(first.app)
    await connectBoth(agent)
    const cookie = (await agent.get('/dashboard').expect(200)).request.cookies
    const user = (await first.services.users.findForLogin(email))!.user
    const refs = (['sms77', 'nexmo'] as const).map((provider) => ({
      tenantId: user.tenantId,
      userId: user.id,
      provider,
    }))
    const before = await Promise.all(refs.map((r) => first.services.store.get(r)))
    expect(before.every((r) => r?.status === 'connected')).toBe(true)

    // The hard way: SIGKILL, no SHUTDOWN, no final save; appendfsync=always has each write on disk.
    await killHard(server)
    server = await startRedisServer(port, dir)
    await waitReady(first.app, 8_000)

    // The running app carries on...
    const dash = await supertest(first.app).get('/dashboard').set('Cookie', cookie).expect(200)
    expect(dash.text.match(/<span class="badge ok">connected<\/span>/g)).toHaveLength(2)
    expect(dash.text).toContain(email)
    // ...and so does a freshly started instance with the same keys (a restarted app process).
    const second = await appOn(port, first.keys)
    const again = await supertest(second.app).get('/dashboard').set('Cookie', cookie).expect(200)
    expect(again.text).toContain('john.doe@acme.inc')
    const after = await Promise.all(refs.map((r) => second.services.store.get(r)))
    expect(after.map((r) => r?.grant.secrets)).toEqual(before.map((r) => r?.grant.secrets))
    expect(after.map((r) => r?.status)).toEqual(['connected', 'connected'])
    expect(unhandled).toEqual([])
    await killHard(server)
  })
})
