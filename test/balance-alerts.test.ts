import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBalances } from '../src/balances/balances.js'
import type { RedisClient } from '../src/redis/client.js'
import { buildKeptRead } from '../src/boot/kept-read.js'
import { memberOf } from '../src/connections/member.js'
import type { ConnectionRef } from '../src/connections/record.js'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { openRedis } from './helpers/redis.js'
import { addUserAndSignIn } from './helpers/users.js'
import { waitFor } from './helpers/redis-server.js'
import { WEBHOOK_QUEUE } from '../src/notifications/webhook-deliveries.js'

const DAY = 86_400_000
const eur = (amount: number) => ({ amount, currency: 'EUR' })
const received: Array<Record<string, unknown>> = []
let receiver: http.Server
let t: TestApp
let admin: Agent
let member: Agent
let memberEmail: string
let tenantId: string
let ref: ConnectionRef

/** Waits until the webhook queue has nothing left to do; answers the events the endpoint got since `from`. */
async function deliveredSince(from: number) {
  await waitFor('the webhook queue to drain', async () => {
    const c = await t.services.jobs
      .queue(WEBHOOK_QUEUE)
      .getJobCounts('waiting', 'active', 'delayed', 'prioritized')
    return Object.values(c).every((n) => n === 0)
  })
  return received.slice(from)
}

/** Another instance's balances (its own Redis client, its own threshold), publishing to this tenant's events. */
function balancesOf(redis: RedisClient, thresholdOf: () => Promise<number>) {
  return createBalances({
    redis,
    thresholdOf,
    emailOf: async () => memberEmail,
    publish: (r, type, { balance, threshold }) =>
      t.services.events.publish(r.tenantId, type, {
        connection: {
          id: 'x',
          provider: r.provider,
          owner: { type: 'user', email: null },
          user: { email: null },
        },
        balance,
        threshold,
      }),
  })
}

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      // Only the balance events: connections made here announce themselves too.
      const event = JSON.parse(body) as Record<string, unknown>
      if (String(event.type).startsWith('balance.')) received.push(event)
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  t = await startTestApp({
    name: 'balance-alerts',
    env: { WEBHOOK_ALLOW_PRIVATE: '1' },
    deps: { panelCacheTtlSec: 0 },
  })
  const a = await signUp(t.app, 'Alerts Org')
  admin = a.agent
  tenantId = (await t.services.users.findForLogin(a.email))!.user.tenantId
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
  await admin
    .post('/admin/webhook')
    .type('form')
    .send({ _csrf: await csrfOf(admin, '/admin/credentials'), url, secret: 'whsec-0123456789abcdef' })
    .expect(303)
  await t.services.tenants.setLowBalanceThreshold(tenantId, 5)
  t.services.jobs.start()
  const m = await addUserAndSignIn(t.app, admin, 'member')
  member = m.agent
  memberEmail = m.email
  await connectSms77(t, member, ['balance'])
  const userId = (await t.services.users.findForLogin(memberEmail))!.user.id
  ref = { tenantId, userId, provider: 'sms77' }
})
afterAll(async () => {
  await t.close()
  await new Promise<void>((r) => receiver.close(() => r()))
})

describe('low-balance alerts', () => {
  it('the low-balance event fires once per crossing', async () => {
    const from = received.length
    const at = Date.now()
    for (const amount of [4.5, 4, 3.5]) await t.services.balances.record(ref, eur(amount), at)
    const low = await deliveredSince(from)
    expect(low).toEqual([
      {
        type: 'balance.low',
        timestamp: expect.any(String),
        data: {
          connection: {
            id: `sms77_${ref.userId}`,
            provider: 'sms77',
            owner: { type: 'user', email: memberEmail },
            user: { email: memberEmail },
          },
          balance: { amount: 4.5, currency: 'EUR' },
          threshold: 5,
        },
      },
    ])
    const stored = (await t.services.store.get(ref))!.grant.secrets
    expect(JSON.stringify(low)).not.toContain(stored.accessToken)

    for (const amount of [12, 20]) await t.services.balances.record(ref, eur(amount), at + 1)
    const recovered = await deliveredSince(from + 1)
    expect(
      recovered.map((e) => [e.type, (e.data as { balance: { amount: number } }).balance.amount]),
    ).toEqual([['balance.recovered', 12]])
  })

  it('fires one event when two instances read the same low balance at once', async () => {
    const from = received.length
    const otherRedis = await openRedis(t.prefix)
    try {
      const other = balancesOf(otherRedis, async () => 5)
      await Promise.all([t.services.balances.record(ref, eur(1)), other.record(ref, eur(1))])
    } finally {
      otherRedis.disconnect()
    }
    expect((await deliveredSince(from)).map((e) => e.type)).toEqual(['balance.low'])
  })

  it('keeps a read in the history before its low-balance check is done; the check still fires', async () => {
    const from = received.length
    let release!: (threshold: number) => void
    const threshold = new Promise<number>((resolve) => (release = resolve))
    const held = balancesOf(t.redis, () => threshold)
    // The balance is low since the test before: 50 is a recovery, once the threshold is known.
    const { kept, checked } = held.keep(ref, eur(50))
    let done = false
    void checked.then(() => (done = true))
    await kept
    expect((await t.services.balances.history.series(ref)).points.at(-1)?.amount).toBe(50)
    await new Promise((r) => setImmediate(r))
    expect(done).toBe(false)
    release(5)
    await checked
    expect((await deliveredSince(from)).map((e) => e.type)).toEqual(['balance.recovered'])
  })
})

describe('a read’s follow-ups', () => {
  it('answer a reader before the low-balance check, which a shutdown still waits for', async () => {
    let release!: (threshold: number) => void
    const threshold = new Promise<number>((resolve) => (release = resolve))
    const lifecycle = t.services.connections
    const kept = buildKeptRead({
      redis: t.redis,
      lifecycle: () => lifecycle,
      supportIndex: t.services.supportIndex,
      balances: balancesOf(t.redis, () => threshold),
      ttlSec: 0,
    })
    const answer = await kept.read(ref, { fresh: true })
    expect(answer.profile.balance?.currency).toBe('EUR')
    const [shown] = await t.services.supportIndex.entries(ref.tenantId, [memberOf(ref)])
    expect(shown?.balance?.amount).toBe(answer.profile.balance?.amount)
    // What the console shows is written; the check is still held, and SIGTERM's drain waits for it.
    expect(await lifecycle.inflight.drain(50)).toBe(false)
    release(5)
    expect(await lifecycle.inflight.drain(2_000)).toBe(true)
  })
})

describe('every balance read is kept', () => {
  it('keeps the reads of the dashboard, the support console and the keep-alive check', async () => {
    const other = await addUserAndSignIn(t.app, admin, 'member')
    await connectSms77(t, other.agent, ['balance'])
    await connectNexmo(other.agent)
    const userId = (await t.services.users.findForLogin(other.email))!.user.id
    const sms77 = { tenantId, userId, provider: 'sms77' as const }
    const nexmo = { tenantId, userId, provider: 'nexmo' as const }
    const history = t.services.balances.history
    await other.agent.get('/dashboard').expect(200)
    expect((await history.series(sms77)).points).toEqual([{ at: expect.any(Number), amount: 627.3615 }])
    await t.services.balances.history.forget(sms77)
    // The dashboard's read is the support console's last known one too: made unread, it reads again.
    await t.services.supportIndex.recordBalance(sms77, {})
    await admin.get('/support').expect(200)
    expect((await history.series(sms77)).points.map((p) => p.amount)).toEqual([627.3615])
    await history.forget(nexmo)
    expect(await t.services.connections.check(nexmo)).toBe('checked')
    expect((await history.series(nexmo)).points).toHaveLength(1)
  })
})

describe('the support console', () => {
  it('shows a sparkline of the last 30 days and when a falling balance runs out', async () => {
    const now = Date.now()
    await t.services.balances.history.forget(ref)
    for (const [daysAgo, amount] of [
      [40, 900],
      [3, 660],
      [2, 650],
      [1, 640],
    ] as const)
      await t.services.balances.history.record(ref, eur(amount), now - daysAgo * DAY)
    // Unread, so the support console reads the balance (627.36) and adds today's point.
    await t.services.supportIndex.recordBalance(ref, {})
    const page = await admin.get(`/support?q=${encodeURIComponent(memberEmail)}`).expect(200)
    const svg = /<svg class="spark"[^>]*>.*?<\/svg>/s.exec(page.text)?.[0]
    expect(svg).toMatch(/role="img" aria-label="Balance over the last 3 days: from 660.00 EUR to 627.36 EUR"/)
    expect(svg).toContain('<title>Balance over the last 3 days: from 660.00 EUR to 627.36 EUR</title>')
    expect(svg).toMatch(/<polyline points="(\d+\.\d,\d+\.\d ){3}\d+\.\d,\d+\.\d"\/>/)
    // About 11 EUR a day from 627 EUR: some 57 days.
    expect(page.text).toMatch(/<span class="runout">runs out in about 5\d days<\/span>/)
    expect(page.text).toMatch(/<td class="num"[^>]*>627\.36 EUR/)
  })
})
