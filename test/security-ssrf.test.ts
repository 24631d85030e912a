/**
 * SSRF through the one URL a user can set: the tenant's webhook. Loopback, private and
 * link-local targets are refused at delivery time, on the address the name resolves to,
 * in every spelling of an address; only the operator can allow them (WEBHOOK_ALLOW_PRIVATE).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isPrivateAddress } from '../src/notifications/ssrf-guard.js'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { waitFor } from './helpers/redis-server.js'
import { verifiedWith } from './helpers/webhook-receiver.js'

/** A local HTTP server that records every request it gets: the SSRF target. */
async function listener(
  answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_q, r) => void r.end('ok'),
) {
  const hits: Array<{ url: string; headers: http.IncomingHttpHeaders; body: string }> = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      hits.push({ url: req.url ?? '', headers: req.headers, body })
      answer(req, res)
    })
  })
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r))
  const port = (server.address() as AddressInfo).port
  return { hits, port, close: () => new Promise<void>((r) => server.close(() => r())) }
}

let t: TestApp
let target: Awaited<ReturnType<typeof listener>>
beforeAll(async () => {
  t = await startTestApp({ name: 'sec-ssrf' })
  t.services.jobs.start()
  target = await listener()
})
afterAll(async () => {
  await target.close()
  await t.close()
})

const SECRET = 'webhook signing secret 0123'

async function saveWebhook(app: TestApp, agent: Agent, url: string): Promise<void> {
  await agent
    .post('/admin/webhook')
    .type('form')
    .send({ _csrf: await csrfOf(agent, '/admin/credentials'), url, secret: SECRET })
    .expect(303)
}

/** Sends the test event through the real queue and returns its first delivery log entry. */
async function deliverTestEvent(app: TestApp, agent: Agent, tenantId: string) {
  const csrf = await csrfOf(agent, '/admin/credentials')
  const newest = async () => (await app.services.webhooks.recent(tenantId))[0]
  const previous = (await newest())?.id
  await agent.post('/admin/webhook/test').type('form').send({ _csrf: csrf }).expect(303)
  await waitFor('the test event’s delivery attempt', async () => (await newest())?.id !== previous)
  return newest()
}

async function admin(app: TestApp): Promise<{ agent: Agent; tenantId: string }> {
  const { agent, email } = await signUp(app.app, 'Webhook Org')
  return { agent, tenantId: (await app.services.users.findForLogin(email))!.user.tenantId }
}

describe('webhook deliveries to private addresses', () => {
  it('are refused for every spelling of loopback and for names that resolve to it, and the target sees nothing', async () => {
    const { agent, tenantId } = await admin(t)
    const p = target.port
    const urls = [
      `http://127.0.0.1:${p}/hook`,
      `http://localhost:${p}/hook`,
      `http://[::1]:${p}/hook`,
      `http://[::ffff:127.0.0.1]:${p}/hook`,
      `http://127.1:${p}/hook`,
      `http://2130706433:${p}/hook`,
      `http://0x7f000001:${p}/hook`,
      `http://0177.0.0.1:${p}/hook`,
      `http://0.0.0.0:${p}/hook`,
      `http://127.0.0.1.:${p}/hook`,
    ]
    const outcomes: Array<[string, string | undefined]> = []
    for (const url of urls) {
      await saveWebhook(t, agent, url)
      expect(await t.services.webhooks.url(tenantId)).toBe(url)
      const delivery = await deliverTestEvent(t, agent, tenantId)
      outcomes.push([url, delivery?.outcome])
    }
    expect(outcomes.filter(([, o]) => o !== 'refused')).toEqual([])
    expect(target.hits).toEqual([])
    // The admin sees why, in words.
    const page = await agent.get('/admin/credentials').expect(200)
    expect(page.text).toMatch(/private address/)
  })

  it('are refused for private, link-local (cloud metadata) and CGNAT addresses without a connection attempt', async () => {
    const { agent, tenantId } = await admin(t)
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/hook',
      'http://192.168.1.1/hook',
      'http://172.16.0.1/hook',
      'http://100.64.0.1/hook',
      'http://[fd00::1]/hook',
      'http://[fe80::1]/hook',
    ]) {
      await saveWebhook(t, agent, url)
      const started = Date.now()
      const delivery = await deliverTestEvent(t, agent, tenantId)
      expect(delivery?.outcome, url).toBe('refused')
      // Refused before connecting: no connect timeout was waited out.
      expect(Date.now() - started, url).toBeLessThan(1_000)
    }
  })

  it('judge every address class correctly (the guard itself)', () => {
    for (const a of [
      '127.0.0.1',
      '127.255.255.254',
      '10.1.2.3',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fd12:3456::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
      'not-an-ip',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true)
    }
    for (const a of [
      '8.8.8.8',
      '1.1.1.1',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
    ]) {
      expect(isPrivateAddress(a), a).toBe(false)
    }
  })
})

describe('what a refused delivery tells the tenant admin', () => {
  it('does not reveal which private address an internal name resolves to (no internal DNS oracle)', async () => {
    const { agent, tenantId } = await admin(t)
    await saveWebhook(t, agent, `http://localhost:${target.port}/hook`)
    const delivery = await deliverTestEvent(t, agent, tenantId)
    expect(delivery?.outcome).toBe('refused')
    const page = await agent.get('/admin/credentials').expect(200)
    expect(page.text).toMatch(/private address/)
    expect(page.text).not.toMatch(/127\.0\.0\.1|::1\b/)
  })
})

describe('webhook URLs that are not plain http(s)', () => {
  it('are refused when saved: other schemes and embedded credentials', async () => {
    const { agent, tenantId } = await admin(t)
    for (const url of [
      'file:///etc/passwd',
      'gopher://127.0.0.1:6379/_FLUSHALL',
      'ftp://example.test/',
      'dict://127.0.0.1:6379/info',
      'javascript:alert(1)',
      'http://user:pass@example.test/hook',
      '//example.test/hook',
      'not a url',
    ]) {
      await saveWebhook(t, agent, url)
      expect(await t.services.webhooks.url(tenantId), url).toBeUndefined()
    }
  })
})

describe('when the operator allows private addresses (WEBHOOK_ALLOW_PRIVATE=1)', () => {
  it('delivers to a local receiver, signed with the tenant’s secret, and follows no redirect', async () => {
    const allowed = await startTestApp({
      name: 'sec-ssrf-allowed',
      env: { WEBHOOK_ALLOW_PRIVATE: '1' },
      sandbox: t.sandbox,
    })
    allowed.services.jobs.start()
    const hidden = await listener()
    const bouncer = await listener((_req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${hidden.port}/internal` })
      res.end()
    })
    try {
      const { agent, tenantId } = await admin(allowed)
      const before = target.hits.length
      await saveWebhook(allowed, agent, `http://127.0.0.1:${target.port}/hook`)
      const delivered = await deliverTestEvent(allowed, agent, tenantId)
      expect(delivered?.outcome).toBe('delivered')
      const hit = target.hits[before]!
      expect(hit.url).toBe('/hook')
      expect(verifiedWith(hit, SECRET)).toMatchObject({ type: 'test', data: { message: expect.any(String) } })

      await saveWebhook(allowed, agent, `http://127.0.0.1:${bouncer.port}/hook`)
      const bounced = await deliverTestEvent(allowed, agent, tenantId)
      expect(bounced?.outcome).not.toBe('delivered')
      expect(bouncer.hits).toHaveLength(1)
      expect(hidden.hits).toEqual([])
    } finally {
      await bouncer.close()
      await hidden.close()
      await allowed.close()
    }
  })
})
