import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EventLog } from '../src/events/event-log.js'
import { tenantEventsKey } from '../src/redis/keys.js'
import { signatures } from '../src/notifications/signing-secret.js'
import { WebhookStore } from '../src/notifications/webhook-store.js'
import { csrfFrom, csrfOf, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { api, createApiKey, tenantWithConnections, type ApiTenant } from './helpers/api.js'
import { waitFor } from './helpers/redis-server.js'
import { startReceiver, verifiedWith, type Hit, type Receiver } from './helpers/webhook-receiver.js'

// Every delivery is checked with the standardwebhooks npm library, as a receiver would.
let t: TestApp
let receiver: Receiver
let a: ApiTenant
let secret: string

beforeAll(async () => {
  receiver = await startReceiver()
  t = await startTestApp({
    name: 'standard-webhooks',
    env: { WEBHOOK_ALLOW_PRIVATE: '1' },
    deps: { webhookPolicy: { attempts: 2, backoffMs: 100, maxBackoffMs: 100 } },
  })
  t.services.jobs.start()
})
afterAll(async () => {
  await t.close()
  await receiver.close()
})

const typeOf = (hit: Hit) => (JSON.parse(hit.body) as { type: string }).type
const hitsOf = (type: string) => receiver.hits.filter((h) => typeOf(h) === type)
const waitForHits = (type: string, n: number) =>
  waitFor(`${n} ${type} deliveries`, async () => hitsOf(type).length >= n)

async function post(agent: Agent, path: string, fields: Record<string, string> = {}, status = 303) {
  const _csrf = await csrfOf(agent, '/admin/credentials')
  return agent
    .post(path)
    .type('form')
    .send({ _csrf, ...fields })
    .expect(status)
}

const shownSecret = (html: string) =>
  /<input id="new-signing-secret" name="newSecret" value="(whsec_[A-Za-z0-9+/=]+)" readonly/.exec(html)?.[1]

describe('Standard Webhooks', () => {
  it('generates and shows a whsec_ secret when Signing secret is left empty; every event verifies', async () => {
    a = await tenantWithConnections(t, 'Hooked Co')
    const saved = await post(a.admin, '/admin/webhook', { url: receiver.url, secret: '' }, 200)
    expect(saved.text).toContain('<label for="new-signing-secret">Signing secret</label>')
    secret = shownSecret(saved.text)!
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32)
    // Shown once: the next view of the page does not have it.
    expect((await a.admin.get('/admin/credentials').expect(200)).text).not.toContain(secret)

    await api(t.app, a.key)
      .post(`/api/v1/connections/${a.ids.nexmo}/messages`)
      .set('Idempotency-Key', 'hooked-1')
      .send({ to: '+49 170 1234567', text: 'never in a webhook' })
      .expect(201)
    await post(a.admin, '/admin/webhook/test')
    await post(a.admin, '/disconnect/sms77')
    for (const type of ['message.sent', 'test', 'connection.disconnected']) await waitForHits(type, 1)

    const wh = new Webhook(secret)
    for (const hit of receiver.hits) {
      expect(hit.headers['content-type']).toBe('application/json')
      expect(wh.verify(hit.body, hit.headers as Record<string, string>)).toEqual(JSON.parse(hit.body))
      expect(hit.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/)
    }
    const [sent] = hitsOf('message.sent')
    expect(JSON.parse(sent!.body)).toEqual({
      type: 'message.sent',
      timestamp: expect.any(String),
      data: {
        connection: {
          id: a.ids.nexmo,
          provider: 'nexmo',
          owner: { type: 'user', email: a.email },
          user: { email: a.email },
        },
        message: { id: expect.any(String), to: '+491701234567', parts: 1, cost: expect.any(Object) },
        sentBy: 'Hooked Co system', // the key's name, as the API's own answer says
      },
    })
    expect(sent!.body).not.toContain('never in a webhook')
    expect(JSON.parse(hitsOf('connection.disconnected')[0]!.body).data).toEqual({
      connection: {
        id: a.ids.sms77,
        provider: 'sms77',
        owner: { type: 'user', email: a.email },
        user: { email: a.email },
      },
      cause: 'user',
    })
    // Another secret does not verify.
    expect(verifiedWith(sent!, `whsec_${Buffer.alloc(32, 7).toString('base64')}`)).toBeNull()
  })

  it('Rotate signing secret: both signatures for 24 hours, each verifying on its own; then the new one alone', async () => {
    const page = await post(a.admin, '/admin/webhook/rotate', {}, 200)
    const rotated = shownSecret(page.text)!
    expect(rotated).not.toBe(secret)
    expect(page.text).toContain('The previous signing secret also signs every delivery until')
    const before = hitsOf('test').length
    await post(a.admin, '/admin/webhook/test')
    await waitForHits('test', before + 1)
    const hit = hitsOf('test')[before]!
    expect(String(hit.headers['webhook-signature']).split(' ')).toHaveLength(2)
    // A receiver still on the old secret and one already on the new both accept it.
    expect(verifiedWith(hit, secret)).toEqual(JSON.parse(hit.body))
    expect(verifiedWith(hit, rotated)).toEqual(JSON.parse(hit.body))

    // 24 hours and a minute later the old secret no longer signs.
    const tenantId = (await t.services.users.findForLogin(a.email))!.user.tenantId
    const later = new WebhookStore(t.redis, t.services.ciphers, () => Date.now() + 24 * 3600_000 + 60_000)
    const settings = (await later.get(tenantId))!
    expect(settings.secrets).toEqual([rotated])
    const id = 'msg_later'
    const timestamp = String(Math.floor(Date.now() / 1000))
    const headers = {
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': signatures(settings.secrets, id, timestamp, hit.body),
    }
    expect(verifiedWith({ headers, body: hit.body }, rotated)).not.toBeNull()
    expect(verifiedWith({ headers, body: hit.body }, secret)).toBeNull()
    const audit = (await a.admin.get('/admin/audit').expect(200)).text
    expect(audit).toContain('rotated the webhook signing secret')
    expect(audit).not.toContain(rotated)
    secret = rotated
  })

  it('keeps the webhook-id across retries and Resend, with the same body', async () => {
    const failing = await startReceiver((hit) =>
      typeOf(hit) === 'test' && failing.hits.length === 1 ? 500 : 204,
    )
    try {
      await post(a.admin, '/admin/webhook', { url: failing.url, secret })
      await post(a.admin, '/admin/webhook/test')
      await waitFor('the retry', async () => failing.hits.length >= 2)
      const [first, retry] = failing.hits
      expect(retry!.headers['webhook-id']).toBe(first!.headers['webhook-id'])
      expect(retry!.body).toBe(first!.body)

      const page = (await a.admin.get('/admin/credentials').expect(200)).text
      const resend = /action="(\/admin\/webhook\/events\/[0-9]+-[0-9]+\/resend)"/.exec(page)?.[1]
      expect(resend).toBeTruthy()
      expect(page).toContain('>Resend</button>')
      const row = (
        await t.services.webhooks.recent((await t.services.users.findForLogin(a.email))!.user.tenantId)
      )[0]!
      await a.admin
        .post(`/admin/webhook/events/${row.position}/resend`)
        .type('form')
        .send({ _csrf: csrfFrom(page) })
        .expect(303)
      await waitFor('the resend', async () => failing.hits.length >= 3)
      const again = failing.hits[2]!
      expect(again.headers['webhook-id']).toBe(row.eventId)
      expect(again.body).toBe(failing.hits.find((h) => h.headers['webhook-id'] === row.eventId)!.body)
      expect(verifiedWith(again, secret)).not.toBeNull()
      expect((await a.admin.get('/admin/audit')).text).toContain(`event ${row.eventId} again`)
      // Another organisation cannot resend it.
      const b = await tenantWithConnections(t, 'Nosy Co')
      await b.admin
        .post(`/admin/webhook/events/${row.position}/resend`)
        .type('form')
        .send({ _csrf: await csrfOf(b.admin, '/admin/credentials') })
        .expect(404)
    } finally {
      await failing.close()
    }
  })
})

describe('events feed', () => {
  it('lets a receiver that was down catch up: the same ids and bodies, paged by cursor, then polled', async () => {
    const list = async (key: string, query = '') =>
      (await api(t.app, key).get(`/api/v1/events${query}`).expect(200)).body as {
        data: Array<{ id: string; type: string; timestamp: string; data: unknown }>
        next_cursor: string | null
        has_more: boolean
      }
    const all = await list(a.key, '?limit=100')
    const delivered = new Map(receiver.hits.map((h) => [String(h.headers['webhook-id']), JSON.parse(h.body)]))
    for (const [id, body] of delivered)
      expect(
        all.data.find((e) => e.id === id),
        id,
      ).toEqual({ id, ...body })
    expect(all.data.map((e) => e.type)).toEqual(
      expect.arrayContaining(['connection.connected', 'message.sent', 'test', 'connection.disconnected']),
    )
    const times = all.data.map((e) => e.timestamp)
    expect([...times].sort()).toEqual(times)

    // Two at a time gives the same events in the same order.
    const paged: string[] = []
    let cursor = ''
    for (let more = true; more;) {
      const page = await list(a.key, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
      paged.push(...page.data.map((e) => e.id))
      more = page.has_more
      cursor = page.next_cursor!
    }
    expect(paged).toEqual(all.data.map((e) => e.id))
    // The last cursor keeps working: nothing new, then exactly what came after it.
    expect((await list(a.key, `?cursor=${cursor}`)).data).toEqual([])
    await post(a.admin, '/admin/webhook/test')
    const next = await list(a.key, `?cursor=${cursor}`)
    expect(next.data.map((e) => e.type)).toEqual(['test'])
  })

  it('is scoped to the organisation, needs the read scope, and refuses a foreign cursor', async () => {
    const b = await tenantWithConnections(t, 'Quiet Co')
    const theirs = (await api(t.app, b.key).get('/api/v1/events').expect(200)).body
    const ours = (await api(t.app, a.key).get('/api/v1/events?limit=100').expect(200)).body
    const ourIds = new Set(ours.data.map((e: { id: string }) => e.id))
    expect(theirs.data.length).toBeGreaterThan(0) // their own connections
    for (const e of theirs.data) expect(ourIds.has(e.id)).toBe(false)
    const sendOnly = await createApiKey(a.admin, 'sender only', ['send'])
    const refused = await api(t.app, sendOnly).get('/api/v1/events').expect(403)
    expect(refused.body.code).toBe('insufficient_scope')
    const bad = await api(t.app, a.key).get('/api/v1/events?cursor=bm90LWEtY3Vyc29y').expect(400)
    expect(bad.body.code).toBe('validation_failed')
  })

  it('keeps 30 days: older events are no longer listed', async () => {
    let now = Date.now()
    const log = new EventLog(t.redis, () => now)
    const event = {
      id: 'msg_old',
      type: 'test' as const,
      timestamp: new Date(now).toISOString(),
      data: { message: 'old' },
    }
    await log.append('thirty-days', event)
    expect((await log.after('thirty-days', undefined, 10)).map((e) => e.id)).toEqual(['msg_old'])
    now += 30 * 86_400_000 + 1000
    expect(await log.after('thirty-days', undefined, 10)).toEqual([])
    // The next append trims it from Redis too (every entry older than 30 days by this clock).
    await log.append('thirty-days', { ...event, id: 'msg_new' })
    const kept = await t.redis.xrange(tenantEventsKey('thirty-days'), '-', '+')
    expect(kept.map(([, fields]) => fields[1])).not.toContainEqual(expect.stringContaining('msg_old'))
  })
})
