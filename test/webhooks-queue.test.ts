import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { JobRuntime, jobsPrefix } from '../src/jobs/runtime.js'
import { WEBHOOK_QUEUE, WebhookDeliveries } from '../src/notifications/webhook-deliveries.js'
import { WebhookSender } from '../src/notifications/webhook-delivery.js'
import { createJobsRedis } from '../src/redis/client.js'
import { createMetrics } from '../src/ops/metrics.js'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { startSandbox, type RunningSandbox } from './helpers/sandbox-server.js'
import { waitFor } from './helpers/redis-server.js'
import { bodyOf, sampleEvent, signedWith, startReceiver, type Receiver } from './helpers/webhook-receiver.js'

const SECRET = 'whsec-queue-0123456789'
let sandbox: RunningSandbox
const open: Array<{ close(): Promise<void> }> = []
beforeAll(async () => {
  sandbox = await startSandbox()
})
afterAll(async () => {
  for (const o of open.reverse()) await o.close()
  await sandbox.close()
})

async function app(name: string, deps: Parameters<typeof startTestApp>[0]['deps'] = {}): Promise<TestApp> {
  const t = await startTestApp({ name, sandbox, env: { WEBHOOK_ALLOW_PRIVATE: '1' }, deps })
  open.push(t)
  return t
}

async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(answer)
  open.push(r)
  return r
}

/** A new organisation whose admin has set the webhook through the form. */
async function adminWithWebhook(t: TestApp, url: string): Promise<{ agent: Agent; tenantId: string }> {
  const { agent, email } = await signUp(t.app, 'Webhook Queue Org')
  const tenantId = (await t.services.users.findForLogin(email))!.user.tenantId
  await agent
    .post('/admin/webhook')
    .type('form')
    .send({ _csrf: await csrfOf(agent, '/admin/credentials'), url, secret: SECRET })
    .expect(303)
  return { agent, tenantId }
}

describe('fairness between tenants', () => {
  it('delivers tenant B’s event while tenant A’s endpoint hangs with several events queued', async () => {
    const t = await app('webhooks-fair')
    const hanging = await receiver(() => 'hang')
    const fine = await receiver()
    await t.services.webhooks.set('tenant-a', hanging.url, SECRET)
    await t.services.webhooks.set('tenant-b', fine.url, SECRET)
    // More of A's events than the worker has slots (16): without a per-tenant bound they would all hang.
    for (let i = 0; i < 20; i++)
      await t.services.webhookQueue.enqueue('tenant-a', sampleEvent({ message: `n${i}` }))
    t.services.jobs.start()
    await waitFor('tenant A to fill its share', async () => hanging.open() === 2)

    const sentAt = Date.now()
    const event = sampleEvent()
    await t.services.webhookQueue.enqueue('tenant-b', event)
    await waitFor('tenant B’s delivery', async () => fine.hits.length === 1, 10_000)
    const delay = fine.hits[0]!.at - sentAt
    console.info(`tenant B delivered ${delay} ms after it was queued, with tenant A hanging`)
    // Within one delivery timeout (the contract's bound) and without waiting for A at all:
    // A's two deliveries are still hanging, and A never got a third one started.
    expect(delay).toBeLessThan(10_000)
    expect(hanging.open()).toBe(2)
    expect(hanging.hits).toHaveLength(2)
    expect(await t.services.webhooks.recent('tenant-a')).toEqual([])
    expect(JSON.parse(fine.hits[0]!.body)).toEqual(bodyOf(event))
    expect(fine.hits[0]!.headers['webhook-id']).toBe(event.id)
    expect(signedWith(fine.hits[0]!, SECRET)).toBe(true)
  })
})

describe('a delivery that keeps failing', () => {
  it('is retried with capped exponential back-off, listed for the admin, and Retry delivers it', async () => {
    // 3 attempts, back-off 200 ms then 300 ms (400 capped), instead of 10 over 17 minutes.
    const t = await app('webhooks-dead', {
      webhookPolicy: { attempts: 3, backoffMs: 200, maxBackoffMs: 300 },
    })
    let failing = true
    const endpoint = await receiver(() => (failing ? 500 : 204))
    const { agent, tenantId } = await adminWithWebhook(t, endpoint.url)
    t.services.jobs.start()
    const event = sampleEvent(
      { connection: { id: 'sms77_ab', provider: 'sms77', user: { email: null } } },
      'connection.connected',
    )
    const payload = { event: event.type }
    const id = await t.services.webhookQueue.enqueue(tenantId, event)

    await waitFor('the last attempt', async () => (await t.services.webhooks.recent(tenantId)).length === 3)
    const log = await t.services.webhooks.recent(tenantId)
    const attempt = (n: number, outcome: string) => ({
      id,
      eventId: event.id,
      position: event.position,
      at: expect.any(Number),
      event: payload.event,
      attempt: n,
      outcome,
      detail: 'HTTP 500',
    })
    expect(log).toEqual([attempt(3, 'failed'), attempt(2, 'retrying'), attempt(1, 'retrying')])
    expect(log[1]!.at - log[2]!.at).toBeGreaterThanOrEqual(200)
    expect(log[0]!.at - log[1]!.at).toBeGreaterThanOrEqual(300)
    expect(endpoint.hits).toHaveLength(3)

    const page = (await agent.get('/admin/credentials').expect(200)).text
    expect(page).toContain('Failed deliveries')
    expect(page).toContain(`action="/admin/webhook/deliveries/${id}/retry"`)
    expect(page).toMatch(/<code>connection\.connected<\/code><\/td><td[^>]*>3<\/td><td[^>]*>HTTP 500<\/td>/)

    // Another organisation's admin cannot see or retry it; a form without CSRF is refused.
    const other = await adminWithWebhook(t, endpoint.url)
    const otherCsrf = await csrfOf(other.agent, '/admin/credentials')
    await other.agent
      .post(`/admin/webhook/deliveries/${id}/retry`)
      .type('form')
      .send({ _csrf: otherCsrf })
      .expect(404)
    await agent.post(`/admin/webhook/deliveries/${id}/retry`).type('form').send({}).expect(403)
    expect(endpoint.hits).toHaveLength(3)

    failing = false
    await agent
      .post(`/admin/webhook/deliveries/${id}/retry`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/admin/credentials') })
      .expect(303)
    await waitFor(
      'the retried delivery',
      async () => (await t.services.webhooks.recent(tenantId))[0]?.outcome === 'delivered',
    )
    expect((await t.services.webhooks.recent(tenantId))[0]).toMatchObject({
      id,
      attempt: 1,
      detail: 'HTTP 204',
    })
    const delivered = endpoint.hits[3]!
    expect(delivered.body).toBe(endpoint.hits[0]!.body)
    expect(JSON.parse(delivered.body)).toEqual(bodyOf(event))
    expect(delivered.headers['webhook-id']).toBe(event.id)
    expect(signedWith(delivered, SECRET)).toBe(true)
    expect((await agent.get('/admin/credentials').expect(200)).text).not.toContain(`/deliveries/${id}/retry`)
    const { entries } = await t.services.audit.page(tenantId, 1)
    expect(entries[0]).toMatchObject({
      action: 'admin.webhook_retried',
      detail: `re-queued the connection.connected delivery ${id}`,
    })
  })
})

describe('the admin’s test event and the queue depth', () => {
  it('queues the test event as a job, counted in /metrics until a worker delivers it signed', async () => {
    const t = await app('webhooks-test-event', { metrics: createMetrics() })
    const endpoint = await receiver()
    const { agent, tenantId } = await adminWithWebhook(t, endpoint.url)
    const page = await agent.get('/admin/credentials').expect(200)
    expect(page.text).toContain('Send a test event')
    await agent
      .post('/admin/webhook/test')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/admin/credentials') })
      .expect(303)

    // No worker runs yet: the event waits in the queue, and /metrics says so.
    const [job] = await t.services.jobs.queue(WEBHOOK_QUEUE).getJobs(['waiting'])
    expect(job).toMatchObject({ name: 'test', data: { tenantId, event: 'test' } })
    expect(endpoint.hits).toEqual([])
    const depth = (state: string, n: number) =>
      `jobs_queue_depth{queue="${WEBHOOK_QUEUE}",state="${state}"} ${n}`
    const before = (await agent.get('/metrics').expect(200)).text
    for (const line of [depth('waiting', 1), depth('delayed', 0), depth('active', 0), depth('failed', 0)])
      expect(before).toContain(line)

    t.services.jobs.start()
    await waitFor('the test event', async () => endpoint.hits.length === 1)
    expect(JSON.parse(endpoint.hits[0]!.body)).toEqual({
      type: 'test',
      timestamp: expect.any(String),
      data: { message: 'This is a test event from Switchboard.' },
    })
    expect(endpoint.hits[0]!.headers['webhook-id']).toBe(job!.data.eventId)
    expect(signedWith(endpoint.hits[0]!, SECRET)).toBe(true)
    await waitFor(
      'the job to complete',
      async () => (await t.services.jobs.queue(WEBHOOK_QUEUE).getJobState(job!.id!)) === 'completed',
    )
    const after = (await agent.get('/metrics').expect(200)).text
    expect(after).toContain(depth('waiting', 0))
    expect(after).toContain('jobs_total{queue="webhooks",outcome="completed"} 1')
  })
})

describe('when Redis does not answer the job queue', () => {
  it('refuses to queue within the request bound (503) instead of waiting for Redis forever', async () => {
    const t = await app('webhooks-unreachable')
    // Accepts connections and never answers: a hung Redis, as far as a client can tell.
    const sockets = new Set<net.Socket>()
    const silent = net.createServer((socket) => void sockets.add(socket))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    const close = () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((r) => silent.close(() => r()))
    }
    open.push({ close })
    const port = (silent.address() as net.AddressInfo).port
    const connection = createJobsRedis({ kind: 'single', url: `redis://127.0.0.1:${port}` })
    connection.on('error', () => undefined)
    const deliveries = new WebhookDeliveries({
      jobs: new JobRuntime(connection, jobsPrefix(t.prefix)),
      redis: t.redis,
      store: t.services.webhooks,
      sender: new WebhookSender(true),
    })
    const started = Date.now()
    await expect(deliveries.enqueue('tenant-x', sampleEvent())).rejects.toMatchObject({
      code: 'service_unavailable',
      status: 503,
    })
    expect(Date.now() - started).toBeLessThan(5_000)
    await t.services.webhooks.markDead('tenant-x', 'an-old-delivery')
    await expect(deliveries.deadLetters('tenant-x')).rejects.toMatchObject({ status: 503 })
    connection.disconnect()
  })
})
