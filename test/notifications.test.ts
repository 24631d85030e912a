import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPrivateAddress } from '../src/notifications/ssrf-guard.js'
import { WebhookSender } from '../src/notifications/webhook-delivery.js'
import { csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import { addUserAndSignIn } from './helpers/users.js'
import { waitFor } from './helpers/redis-server.js'
import { verifiedWith } from './helpers/webhook-receiver.js'

interface Received {
  headers: http.IncomingHttpHeaders
  body: string
}
let receiver: http.Server
let receiverUrl: string
const received: Received[] = []
let failNext = 0

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      received.push({ headers: req.headers, body })
      res.writeHead(failNext-- > 0 ? 500 : 204).end()
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
})
afterAll(() => new Promise<void>((r) => receiver.close(() => r())))

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

describe('SSRF guard for webhook URLs', () => {
  it('classifies loopback, private, link-local, CGNAT, unique-local and mapped addresses as private', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
      '::',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true)
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect(isPrivateAddress(a), a).toBe(false)
  })

  it('refuses at delivery time a literal private address and a name that resolves to one, and sends nothing', async () => {
    const before = received.length
    const sender = new WebhookSender(false)
    const literal = await sender.send(receiverUrl, [SECRET], 'd1', '{}')
    expect(literal).toMatchObject({ ok: false, final: true })
    expect(literal.detail).toMatch(/private address/)
    const named = await sender.send(receiverUrl.replace('127.0.0.1', 'localhost'), [SECRET], 'd2', '{}')
    expect(named).toMatchObject({ ok: false, final: true })
    expect(named.detail).toMatch(/refused/)
    expect((await sender.send('file:///etc/passwd', [SECRET], 'd3', '{}')).final).toBe(true)
    expect(received.length).toBe(before)
    expect((await new WebhookSender(true).send(receiverUrl, [SECRET], 'd4', '{}')).ok).toBe(true)
    expect(received.length).toBe(before + 1)
  })
})

describe('when a connection breaks or comes back', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({
      name: 'notifications',
      env: { WEBHOOK_ALLOW_PRIVATE: '1' },
      deps: { panelCacheTtlSec: 0 },
    })
  })
  afterAll(() => t.close())

  /** The newest entry of the tenant's delivery log once it matches (deliveries run on the queue's workers). */
  async function newestDelivery(tenantId: string, expected: object) {
    let newest: object | undefined
    await waitFor(`a delivery like ${JSON.stringify(expected)}`, async () => {
      newest = (await t.services.webhooks.recent(tenantId))[0]
      return expect.objectContaining(expected).asymmetricMatch(newest)
    })
    return newest as { at: number }
  }

  it('shows the user a banner once and POSTs a signed event without any token, retried with back-off', async () => {
    t.services.jobs.start()
    const { agent: admin, email: adminEmail } = await signUp(t.app)
    const tenantId = (await t.services.users.findForLogin(adminEmail))!.user.tenantId
    const secret = SECRET
    await admin
      .post('/admin/webhook')
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/credentials'), url: receiverUrl, secret })
      .expect(303)
    const settings = await admin.get('/admin/credentials').expect(200)
    expect(settings.text).toContain(receiverUrl)
    expect(settings.text).not.toContain(secret)

    const { agent, email } = await addUserAndSignIn(t.app, admin, 'member')
    await connectSms77(t, agent, ['balance'])
    const user = (await t.services.users.findForLogin(email))!.user
    const ref = { tenantId, userId: user.id, provider: 'sms77' as const }
    const stored = (await t.services.store.get(ref))!.grant
    t.sandbox.control.revokeSms77RefreshTokens()
    await t.services.store.saveGrant(ref, { ...stored, expiresAt: Date.now() - 1 })
    const ofType = (type: string) => received.filter((r) => JSON.parse(r.body).type === type)
    failNext = 0
    await waitFor('the connected event', async () => ofType('connection.connected').length === 1)
    failNext = 1
    await agent.get('/dashboard').expect(200)
    const banner = await agent.get('/dashboard').expect(200)
    expect(banner.text).toContain('Your sms77 connection stopped working and needs to be reconnected.')
    expect((await agent.get('/dashboard')).text).not.toContain('stopped working')

    const failed = await newestDelivery(tenantId, { outcome: 'retrying', attempt: 1, detail: 'HTTP 500' })
    expect(ofType('connection.needs_reconnect')).toHaveLength(1)
    const delivered = await newestDelivery(tenantId, { outcome: 'delivered', attempt: 2 })
    const attempts = ofType('connection.needs_reconnect')
    expect(attempts).toHaveLength(2)
    // The first retry waits out its back-off (2 s).
    expect(delivered.at - failed.at).toBeGreaterThanOrEqual(2_000)
    // Both attempts carry the event's one id, so a receiver deduplicates them.
    expect(attempts[1]!.headers['webhook-id']).toBe(attempts[0]!.headers['webhook-id'])

    const delivery = attempts[1]!
    expect(verifiedWith(delivery, secret)).toEqual(JSON.parse(delivery.body))
    expect(
      verifiedWith(delivery, 'whsec_' + Buffer.from('another secret!!!!!!!!!!').toString('base64')),
    ).toBeNull()
    const event = JSON.parse(delivery.body)
    expect(event).toEqual({
      type: 'connection.needs_reconnect',
      timestamp: expect.any(String),
      data: {
        connection: {
          id: `sms77_${user.id}`,
          provider: 'sms77',
          owner: { type: 'user', email },
          user: { email },
        },
        reason: 'grant_expired',
      },
    })
    for (const secretValue of [stored.secrets.accessToken, stored.secrets.refreshToken!])
      expect(delivery.body).not.toContain(secretValue)

    await connectSms77(t, agent, ['balance'])
    await waitFor('the recovery event', async () => ofType('connection.recovered').length === 1)
    // Issue 29: one flash after a reconnect, the reconnect's own, not a second "works again".
    const reconnected = (await agent.get('/dashboard')).text
    expect(reconnected.match(/class="flash[^"]*"/g)).toHaveLength(1)
    expect(reconnected).toContain('sms77 connected:')
    expect(reconnected).not.toContain('works again')
    expect(JSON.parse(ofType('connection.recovered')[0]!.body).data).toEqual({
      connection: {
        id: `sms77_${user.id}`,
        provider: 'sms77',
        owner: { type: 'user', email },
        user: { email },
      },
    })
    const log = await admin.get('/admin/credentials').expect(200)
    expect(log.text).toContain('connection.needs_reconnect')
    expect(log.text).toContain('connection.recovered')
    expect(log.text).toContain('<span class="badge ok">delivered</span>')
  })

  it('refuses to save a webhook URL that is not http(s) or carries credentials', async () => {
    const { agent } = await signUp(t.app)
    for (const url of ['ftp://example.com/x', 'https://user:pw@example.com/x', 'not a url']) {
      await agent
        .post('/admin/webhook')
        .type('form')
        .send({ _csrf: await csrfOf(agent, '/admin/credentials'), url, secret: 'x'.repeat(20) })
        .expect(303)
      expect((await agent.get('/admin/credentials')).text).toContain('This webhook address is not allowed')
    }
  })
})
