import { randomBytes } from 'node:crypto'
import type { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { loadConfig } from '../src/config/config.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { TenantDeletion } from '../src/data-lifecycle/tenant-deletion.js'
import { createLogger } from '../src/logging/logger.js'
import { TenantCiphers } from '../src/crypto/tenant-ciphers.js'
import { ConnectionStore } from '../src/connections/connection-store.js'
import { PageStateReader } from '../src/dashboard/page-state.js'
import { PanelCache } from '../src/dashboard/panel-cache.js'
import { reencryptAll } from '../src/ops/reencrypt.js'
import { connectRedis, createRedis } from '../src/redis/client.js'
import { scanKeys } from '../src/redis/scan.js'
import { seedDemo } from '../src/support/seed-demo.js'
import { csrfFrom, csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import {
  freePort,
  run,
  startRedisServer,
  tempDir,
  waitFor,
  type RedisServer,
} from './helpers/redis-server.js'
import { addUserAndSignIn } from './helpers/users.js'

const tc = (
  redis: ConstructorParameters<typeof TenantCiphers>[0],
  ...keys: ConstructorParameters<typeof TokenCipher>
) => new TenantCiphers(redis, new TokenCipher(...keys))

/**
 * The app on a real three-master Redis Cluster started here: sessions, the login limiter,
 * the refresh lock and its Lua release, the support console's search script, seed-demo,
 * removing a user and re-encrypting every token. Any command or MULTI that spans two slots
 * fails on a Cluster with CROSSSLOT, so each of these passing is the proof.
 */
const tmp = tempDir('cluster')
const servers: RedisServer[] = []
const oldKey = randomBytes(32).toString('base64')
let t: TestApp
let admin: Agent
let adminEmail: string
let tenantId: string
let ref: ConnectionRef

async function clusterOk(port: number): Promise<boolean> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info'], { timeout: 2_000 })
  return /cluster_state:ok/.test(stdout)
}

/**
 * `cluster_state:ok` on one node does not mean it already knows the others: the slot map
 * is gossiped. Wait until this node's CLUSTER SLOTS names all three masters and all 16384
 * slots, so a client that reads its map from this node sees every master.
 */
async function slotMapComplete(port: number, masters: number): Promise<boolean> {
  const { stdout } = await run('redis-cli', ['-p', String(port), '--json', 'cluster', 'slots'], {
    timeout: 2_000,
  })
  const ranges = JSON.parse(stdout) as [number, number, [string, number, ...unknown[]]][]
  const owners = new Set(ranges.map((r) => r[2][1]))
  const covered = ranges.reduce((sum, r) => sum + (r[1] - r[0] + 1), 0)
  return owners.size === masters && covered === 16384
}

/** The port of the master that holds an organisation's keys (they share its hash tag's slot). */
async function masterOfTenant(id: string): Promise<number> {
  const port = String(servers[0]!.port)
  const slot = Number((await run('redis-cli', ['-p', port, 'cluster', 'keyslot', `{${id}}`])).stdout.trim())
  const { stdout } = await run('redis-cli', ['-p', port, '--json', 'cluster', 'slots'])
  const ranges = JSON.parse(stdout) as [number, number, [string, number, ...unknown[]]][]
  return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1]
}

beforeAll(async () => {
  const ports: number[] = []
  for (let i = 0; i < 3; i++) ports.push(await freePort(true))
  for (const port of ports) {
    servers.push(
      await startRedisServer(port, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `${tmp.dir}/nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
        '--appendonly',
        'no',
        '--dir',
        tmp.dir,
      ]),
    )
  }
  const nodes = ports.map((p) => `127.0.0.1:${p}`)
  await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], {
    timeout: 20_000,
  })
  for (const port of ports) await waitFor(`cluster_state:ok on ${port}`, () => clusterOk(port), 15_000)
  for (const port of ports) {
    await waitFor(`the full slot map on ${port}`, () => slotMapComplete(port, ports.length), 15_000)
  }
  const env = { REDIS_CLUSTER_NODES: nodes.join(','), TOKEN_ENCRYPTION_KEY: oldKey }
  t = await startTestApp({
    name: 'cluster',
    env,
    deps: { panelCacheTtlSec: 0 },
    openRedis: async (prefix) => {
      const redis = createRedis(loadConfig(env).redis, prefix)
      await connectRedis(redis, loadConfig(env).redis)
      return redis
    },
  })
  expect(t.config.redis.kind).toBe('cluster')
  // The app's client must also hold the whole map, or SCAN below visits too few masters.
  const cluster = t.redis as Cluster
  await waitFor(
    'the client to know three masters',
    async () => {
      if (cluster.nodes('master').length === ports.length) return true
      cluster.refreshSlotsCache()
      return false
    },
    15_000,
  )
  const a = await signUp(t.app, 'Cluster Org')
  admin = a.agent
  adminEmail = a.email
  const found = (await t.services.users.findForLogin(adminEmail))!.user
  tenantId = found.tenantId
  ref = { tenantId, userId: found.id, provider: 'sms77' }
}, 60_000)

afterAll(async () => {
  await t?.close()
  await Promise.all(servers.map((s) => s.stop()))
  tmp.remove()
})

describe('on a Redis Cluster', () => {
  it('spreads keys over the masters and signs in with sessions and the login limiter in the cluster', async () => {
    const agent = supertest.agent(t.app)
    const page = await agent.get('/login').expect(200)
    await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: adminEmail, password: 'wrong password!' })
      .expect(401)
    const again = await agent.get('/login').expect(200)
    await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(again.text), email: adminEmail, password: 'correct horse battery' })
      .expect(303)
    await agent.get('/dashboard').expect(200)
    const sessions: string[] = []
    for await (const key of scanKeys(t.redis, 'sess:*')) sessions.push(key)
    expect(sessions.length).toBeGreaterThanOrEqual(2)
    // rate-limiter-flexible counted the failure (its Lua script) in the cluster too.
    const limits: string[] = []
    for await (const key of scanKeys(t.redis, 'rl:*')) limits.push(key)
    expect(limits).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rl:login-ip:/),
        expect.stringMatching(/^rl:signup-ip:/),
      ]),
    )
    // The key prefix is random, so the keys above could all hash to one master by chance: an
    // organisation whose slot another master owns makes the spread certain.
    const first = await masterOfTenant(tenantId)
    let elsewhere: string | undefined
    for (let i = 2; i < 12 && !elsewhere; i++) {
      const other = await signUp(t.app, `Cluster Org ${i}`)
      const id = (await t.services.users.findForLogin(other.email))!.user.tenantId
      if ((await masterOfTenant(id)) !== first) elsewhere = id
    }
    expect(elsewhere).toBeDefined()
    // Three masters, each holding part of the keyspace (sessions and emails hash apart).
    const counts = await Promise.all(servers.map((s) => run('redis-cli', ['-p', String(s.port), 'dbsize'])))
    expect(counts.filter((c) => Number(c.stdout.trim()) > 0).length).toBeGreaterThanOrEqual(2)
  })

  it('connects sms77 and refreshes an expired token exactly once under 10 concurrent requests', async () => {
    await connectSms77(t, admin, ['balance', 'journal'])
    const record = (await t.services.store.get(ref))!
    await t.services.store.saveGrant(ref, { ...record.grant, expiresAt: Date.now() - 1 })
    t.sandbox.control.expireSms77AccessTokens()
    const before = t.sandbox.control.stats.sms77.refreshes
    t.sandbox.control.setFaults({ tokenLatencyMs: 150 })
    const pages = await Promise.all(Array.from({ length: 10 }, () => admin.get('/dashboard'))).finally(() =>
      t.sandbox.control.setFaults({ tokenLatencyMs: 0 }),
    )
    for (const p of pages) {
      expect(p.status).toBe(200)
      expect(p.text).toContain('<span class="badge ok">connected</span>')
    }
    expect(t.sandbox.control.stats.sms77.refreshes).toBe(before + 1)
    const now = (await t.services.store.get(ref))!.grant.secrets
    expect(now.refreshToken).not.toBe(record.grant.secrets.refreshToken)
    expect(t.sandbox.control.sms77RefreshTokens()).toContain(now.refreshToken)
    const locks: string[] = []
    for await (const key of scanKeys(t.redis, '*refresh-lock')) locks.push(key)
    expect(locks).toEqual([])
  })

  it('reads the warm dashboard’s state in one script and keeps card HTML by compare-and-set in the cluster', async () => {
    // This app runs without panel cache (every page built); these are the warm path's own calls.
    const state = await new PageStateReader(t.redis).read(tenantId, ref.userId, ['sms77', 'nexmo'])
    expect(state.user?.email).toBe(adminEmail)
    expect(state.cards.map((c) => c.fingerprint === 'none')).toEqual([false, true])
    const cache = new PanelCache(t.redis, 30)
    const generation = (await cache.put(tenantId, ref.userId, 'sms77', { balance: 1 }, ''))!
    expect(generation).toMatch(/^[0-9a-f]{16}$/)
    const card = { generation, fingerprint: state.cards[0]!.fingerprint, html: '<section>kept</section>' }
    expect(await cache.keepCard(tenantId, ref.userId, 'sms77', 'en', card)).toBe(true)
    expect(await cache.keptCards(tenantId, ref.userId, ['sms77', 'nexmo'], 'en')).toEqual([card, undefined])
    const after = await new PageStateReader(t.redis).read(tenantId, ref.userId, ['sms77', 'nexmo'])
    expect(after.cards[0]!.generation).toBe(generation)
    await cache.clear(tenantId, ref.userId, ['sms77'])
  })

  it('seeds demo accounts and serves the support console, its search and its export', async () => {
    await seedDemo(t.redis, t.services.ciphers, tenantId, 5)
    const list = await admin.get('/support').expect(200)
    expect(list.text).toContain(`demo-00005@${tenantId}.demo`)
    const search = await admin.get('/support').query({ q: 'demo-00003' }).expect(200)
    expect(search.text).toContain(`demo-00003@${tenantId}.demo`)
    expect(search.text).not.toContain(`demo-00004@${tenantId}.demo`)
    const csv = await admin.get('/support/export.csv').expect(200)
    expect(csv.text.trim().split('\n')).toHaveLength(1 + 6)
    expect((await t.services.users.findForLogin(`demo-00002@${tenantId}.demo`))?.user.tenantId).toBe(tenantId)
  })

  it('removes a user with their sessions, connections and email', async () => {
    const { agent, email } = await addUserAndSignIn(t.app, admin, 'member')
    const member = (await t.services.users.findForLogin(email))!.user
    // A second session of the same user: removal must delete sessions in several slots.
    await addSecondSession(email)
    expect(await t.redis.scard(`t:{${tenantId}}:sessions:${member.id}`)).toBe(2)
    await admin
      .post(`/admin/users/${member.id}/remove`)
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/users') })
      .expect(303)
    await agent.get('/dashboard').expect(303).expect('location', '/login')
    expect(await t.services.users.findForLogin(email)).toBeNull()
    expect(await t.redis.exists(`t:{${tenantId}}:sessions:${member.id}`)).toBe(0)
  })

  it('re-wraps every data key on every master under a new key; tokens stay sealed with them', async () => {
    const newKeys = [randomBytes(32), Buffer.from(oldKey, 'base64')]
    const ciphers = tc(t.redis, newKeys)
    await t.services.tenantCredentials.set(tenantId, 'sms77', { id: 'own-client', secret: 'own-secret' })
    const report = await reencryptAll(t.redis, ciphers)
    expect(report.dataKeys.failed).toBe(0)
    expect(report.dataKeys.reencrypted).toBeGreaterThan(0)
    expect(report.connections).toEqual({ reencrypted: 0, current: 6, failed: 0 })
    expect(report.credentials).toEqual({ reencrypted: 0, current: 1, failed: 0 })
    const onlyNew = new ConnectionStore(t.redis, tc(t.redis, [newKeys[0]!]))
    expect((await onlyNew.get(ref))!.grant.secrets.refreshToken).toBeTruthy()
    expect((await reencryptAll(t.redis, ciphers)).dataKeys).toEqual({
      reencrypted: 0,
      current: report.dataKeys.reencrypted,
      failed: 0,
    })
  })
  it('deletes an organisation on a Cluster: nothing of it on any master, another untouched', async () => {
    const gone = await signUp(t.app, 'Cluster Leaving')
    const goneId = (await t.services.users.findForLogin(gone.email))!.user.tenantId
    await connectSms77(t, gone.agent, ['balance'])
    const before = t.sandbox.control.sms77Revocations().length
    const ours = async (id: string) => {
      const keys: string[] = []
      for await (const key of scanKeys(t.redis, `t:{${id}}:*`)) keys.push(key)
      return keys.sort()
    }
    const other = await ours(tenantId)
    expect((await ours(goneId)).length).toBeGreaterThan(3)
    const deletion = new TenantDeletion({ ...t.services, redis: t.redis, logger: createLogger('silent') })
    const report = await deletion.delete(goneId, 'test')
    expect(report.revoked).toBe(1)
    expect(t.sandbox.control.sms77Revocations().length).toBe(before + 1)
    expect(await ours(goneId)).toEqual([])
    expect(await t.services.users.findForLogin(gone.email)).toBeNull()
    expect(await ours(tenantId)).toEqual(other)
  })
})

async function addSecondSession(email: string): Promise<void> {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login')
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password: 'a long enough password' })
    .expect(303)
}
