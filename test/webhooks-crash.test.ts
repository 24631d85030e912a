import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { TenantCiphers } from '../src/crypto/tenant-ciphers.js'
import { JobRuntime, jobsPrefix } from '../src/jobs/runtime.js'
import { WebhookDeliveries } from '../src/notifications/webhook-deliveries.js'
import { WebhookSender } from '../src/notifications/webhook-delivery.js'
import { WebhookStore } from '../src/notifications/webhook-store.js'
import { createJobsRedis, type Redis } from '../src/redis/client.js'
import { startAppProcess, waitUntilServing, type AppProcess } from './helpers/app-process.js'
import { dropPrefix, openRedis, REDIS_URL, uniquePrefix } from './helpers/redis.js'
import { freePort, waitFor } from './helpers/redis-server.js'
import { bodyOf, sampleEvent, signedWith, startReceiver, type Receiver } from './helpers/webhook-receiver.js'

const tc = (
  redis: ConstructorParameters<typeof TenantCiphers>[0],
  ...keys: ConstructorParameters<typeof TokenCipher>
) => new TenantCiphers(redis, new TokenCipher(...keys))

/**
 * The real app (src/main.ts) in its own process, killed with SIGKILL while a delivery is
 * at the receiver: no shutdown, no hand-back. The restarted process must deliver the
 * event (BullMQ's stalled-job recovery) within the two minutes the design promises.
 */
const prefix = uniquePrefix('webhooks-crash')
const key = randomBytes(32)
const secret = 'whsec-crash-0123456789'
const tenantId = 'crash-org'
const running: AppProcess[] = []
let redis: Redis | undefined
let enqueuer: JobRuntime | undefined
let receiver: Receiver | undefined

afterAll(async () => {
  for (const app of running) if (app.proc.exitCode === null) app.proc.kill('SIGKILL')
  await enqueuer?.close(1_000)
  redis?.disconnect()
  await receiver?.close()
  await dropPrefix(prefix)
})

async function boot(): Promise<AppProcess> {
  const app = startAppProcess(await freePort(), {
    REDIS_KEY_PREFIX: prefix,
    TOKEN_ENCRYPTION_KEY: key.toString('base64'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    WEBHOOK_ALLOW_PRIVATE: '1',
  })
  running.push(app)
  await waitUntilServing(app)
  return app
}

describe('a worker process killed mid-delivery', () => {
  it('delivers the event after a restart: the same body and delivery id, validly signed', async () => {
    // The first attempt is held open at the receiver until the process dies; later ones succeed.
    receiver = await startReceiver((hit) => (receiver!.hits.indexOf(hit) === 0 ? 'hang' : 204))
    redis = await openRedis(prefix)
    const store = new WebhookStore(redis, tc(redis, [key]))
    await store.set(tenantId, receiver.url, secret)
    // Another instance adds the job; only the app process runs workers.
    enqueuer = new JobRuntime(createJobsRedis({ kind: 'single', url: REDIS_URL }), jobsPrefix(prefix))
    const deliveries = new WebhookDeliveries({
      jobs: enqueuer,
      redis,
      store,
      sender: new WebhookSender(true),
    })
    const first = await boot()
    const event = sampleEvent()
    const id = await deliveries.enqueue(tenantId, event)
    await waitFor('the first attempt to reach the receiver', async () => receiver!.open() === 1)

    first.proc.kill('SIGKILL')
    expect(await first.exit).toBeNull()
    const restartedAt = Date.now()
    const second = await boot()
    await waitFor('the redelivery', async () => receiver!.hits.length >= 2, 120_000)
    const redelivered = receiver.hits[1]!
    const seconds = (redelivered.at - restartedAt) / 1000
    console.info(`webhook redelivered ${seconds.toFixed(1)} s after the restart`)
    expect(seconds).toBeLessThan(120)

    const original = receiver.hits[0]!
    expect(redelivered.body).toBe(original.body)
    expect(JSON.parse(redelivered.body)).toEqual(bodyOf(event))
    expect(redelivered.headers['webhook-id']).toBe(event.id)
    expect(signedWith(redelivered, secret)).toBe(true)
    await waitFor('the delivery log', async () => (await store.recent(tenantId))[0]?.outcome === 'delivered')
    expect(await store.recent(tenantId)).toEqual([
      {
        id,
        eventId: event.id,
        position: event.position,
        at: expect.any(Number),
        event: 'test',
        attempt: 1,
        outcome: 'delivered',
        detail: 'HTTP 204',
      },
    ])

    second.proc.kill('SIGTERM')
    expect(await second.exit).toBe(0)
  }, 180_000)
})
