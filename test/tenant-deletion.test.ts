import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfFrom, csrfOf, providerEnv, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import { keysUnder, REDIS_URL } from './helpers/redis.js'
import { createLogger } from '../src/logging/logger.js'
import { TenantDeletion } from '../src/data-lifecycle/tenant-deletion.js'
import { OPERATOR_LOG_KEY } from '../src/redis/data-keys.js'
import type { JobRuntime } from '../src/jobs/runtime.js'
import { API_SCOPES } from '../src/api-keys/key-store.js'

/**
 * Issue 27: deleting an organisation (on /admin/settings and with `delete-tenant`) revokes
 * every grant at its provider, then leaves nothing of it in Redis; others are untouched.
 */
const run = promisify(execFile)
const tokenKey = randomBytes(32).toString('base64')
let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ name: 'tenant-deletion', env: { TOKEN_ENCRYPTION_KEY: tokenKey } })
})
afterAll(() => t.close())

async function org(name: string) {
  const s = await signUp(t.app, name)
  const tenantId = (await t.services.users.findForLogin(s.email))!.user.tenantId
  await connectSms77(t, s.agent, ['balance'])
  await t.services.webhooks.set(tenantId, 'https://hooks.example.test/x', 'whsec-0123456789')
  const key = await t.services.apiKeys.create(tenantId, {
    name: 'ci',
    scopes: [API_SCOPES[0]],
    createdBy: 'test',
  })
  return { ...s, tenantId, apiKey: key.key }
}

const keysOf = async (tenantId: string) =>
  (await keysUnder(t.prefix)).filter((k) => k.includes(`{${tenantId}}`))

async function signInFails(email: string, password: string): Promise<void> {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login').expect(200)
  const res = await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password })
  expect(res.headers.location ?? '').not.toBe('/dashboard')
  await agent.get('/dashboard').expect(303)
}

async function cli(...args: string[]) {
  const { BASE_URL: _vite, TOKEN_ENCRYPTION_KEY: _k, ...inherited } = process.env
  const env = {
    ...inherited,
    ...providerEnv(t.sandbox),
    REDIS_URL,
    REDIS_KEY_PREFIX: t.prefix,
    TOKEN_ENCRYPTION_KEY: tokenKey,
  }
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/boot/admin-cli.ts', ...args], {
      env,
      timeout: 60_000,
    })
    return { stdout: stdout.trim(), code: 0 }
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number }
    return { stdout: `${err.stdout}${err.stderr}`.trim(), code: err.code }
  }
}

describe('Delete organisation', () => {
  let a: Awaited<ReturnType<typeof org>>
  let b: Awaited<ReturnType<typeof org>>

  beforeAll(async () => {
    a = await org('Leaving Ltd')
    b = await org('Staying GmbH')
  })

  it('refuses without the organisation name typed', async () => {
    await a.agent
      .post('/admin/settings/delete-organisation')
      .type('form')
      .send({ _csrf: await csrfOf(a.agent, '/admin/settings'), organisationName: 'Leaving' })
      .expect(303)
      .expect('location', '/admin/settings')
    expect(await t.services.tenants.get(a.tenantId)).not.toBeNull()
    const page = await a.agent.get('/admin/settings').expect(200)
    expect(page.text).toContain('does not match')
    expect(page.text).toContain('Organisation name')
    expect(page.text).toContain('Delete organisation')
  })

  it('revokes every grant, leaves no key of the organisation and nobody of it can sign in; another is untouched', async () => {
    const revokedBefore = t.sandbox.control.sms77Revocations().length
    const bKeys = (await keysOf(b.tenantId)).sort()
    expect((await keysOf(a.tenantId)).length).toBeGreaterThan(5)
    // Keys outside its slot that would otherwise lapse on their own: a reconnect link (72 h)
    // and a connect flow begun but not finished (10 min).
    const admin = (await t.services.users.findForLogin(a.email))!.user
    await t.services.reconnectLinks.create(
      { tenantId: a.tenantId, userId: admin.id, provider: 'sms77' },
      admin.id,
    )
    await a.agent
      .post('/connect/sms77')
      .type('form')
      .send({ _csrf: await csrfOf(a.agent), scope: 'balance' })
      .expect(303)
    const lapsing = async () => (await keysUnder(t.prefix)).filter((k) => /^(reconnect|flow):/.test(k))
    expect(await lapsing()).toHaveLength(2)
    const res = await a.agent
      .post('/admin/settings/delete-organisation')
      .type('form')
      .send({ _csrf: await csrfOf(a.agent, '/admin/settings'), organisationName: 'Leaving Ltd' })
      .expect(200)
    expect(res.text).toContain('Organisation deleted')
    expect(await keysOf(a.tenantId)).toEqual([])
    expect(await lapsing()).toEqual([])
    const revocations = t.sandbox.control.sms77Revocations().slice(revokedBefore)
    expect(revocations.map((r) => r.outcome)).toEqual(['revoked'])
    expect(await t.redis.get(`email:${a.email}`)).toBeNull()
    expect(await t.services.apiKeys.authenticate(a.apiKey)).toBeNull()
    await a.agent.get('/dashboard').expect(303)
    await signInFails(a.email, a.password)
    // The other organisation: every key as it was, its connection still works.
    expect((await keysOf(b.tenantId)).sort()).toEqual(bKeys)
    const dash = await b.agent.get('/dashboard').expect(200)
    expect(dash.text).toMatch(/badge ok">connected/)
    // The operator log, outside the organisation, keeps the deletion.
    const log = await t.redis.xrange(OPERATOR_LOG_KEY, '-', '+')
    const done = log.map(([, f]) => f).find((f) => f.includes('tenant-deleted') && f.includes(a.tenantId))
    expect(done).toBeDefined()
  })

  it('finishes with delete-tenant after an interrupted deletion', async () => {
    const c = await org('Half Gone')
    const revokedBefore = t.sandbox.control.sms77Revocations().length
    const broken = {
      get queueNames(): string[] {
        throw new Error('interrupted')
      },
    } as unknown as JobRuntime
    const deletion = new TenantDeletion({
      ...t.services,
      redis: t.redis,
      logger: createLogger('silent'),
      jobs: broken,
    })
    await expect(deletion.delete(c.tenantId, 'test')).rejects.toThrow('interrupted')
    expect(t.sandbox.control.sms77Revocations().length).toBe(revokedBefore + 1)
    const res = await cli('delete-tenant', '--tenant', c.tenantId)
    expect(res.stdout).toMatch(new RegExp(`^deleted ${c.tenantId}: 0 grants revoked, 0 not revoked`))
    expect(res.code).toBe(0)
    expect(await keysOf(c.tenantId)).toEqual([])
    await signInFails(c.email, c.password)
    // Nothing left to delete: the slug is unknown now.
    expect((await cli('delete-tenant', '--tenant', c.tenantId)).code).toBe(2)
    expect(await t.services.tenants.get(b.tenantId)).not.toBeNull()
  })
})
