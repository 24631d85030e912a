import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { WEBHOOK_DUE_KEY as DUE, webhookJobKey as jobKey } from '../redis/keys.js'
import type { Logger } from '../http/logger.js'
import type { WebhookSender } from './webhook-delivery.js'
import type { WebhookStore } from './webhook-store.js'

/** Back-off between attempts: 2 s, 8 s, 30 s, 2 min, 10 min; then the delivery is given up. */
export const RETRY_DELAYS_MS = [2_000, 8_000, 30_000, 120_000, 600_000]

interface Job {
  tenantId: string
  event: string
  body: string
  attempt: number
}

/**
 * Durable deliveries: a job lives in Redis until delivered or given up, so a restart or
 * another instance picks it up. Instances poll a due-time sorted set; ZREM decides who
 * owns a job, so each attempt is made once.
 */
export class WebhookQueue {
  private timer?: NodeJS.Timeout
  private running?: Promise<void>

  constructor(
    private readonly redis: RedisClient,
    private readonly store: WebhookStore,
    private readonly sender: WebhookSender,
    private readonly logger?: Logger,
  ) {}

  async enqueue(tenantId: string, event: string, payload: object): Promise<string> {
    const id = randomBytes(12).toString('hex')
    const job: Job = { tenantId, event, body: JSON.stringify({ id, ...payload }), attempt: 0 }
    await this.redis.set(jobKey(id), JSON.stringify(job), 'EX', 86_400)
    await this.redis.zadd(DUE, Date.now(), id)
    return id
  }

  /** Delivers every job that is due now; returns how many were attempted. */
  async runOnce(now = Date.now()): Promise<number> {
    const ids = await this.redis.zrangebyscore(DUE, 0, now, 'LIMIT', 0, 20)
    let attempted = 0
    for (const id of ids) {
      if ((await this.redis.zrem(DUE, id)) !== 1) continue
      attempted++
      await this.attempt(id).catch((err) =>
        this.logger?.warn({ err: (err as Error).message }, 'webhook attempt failed'),
      )
    }
    return attempted
  }

  private async attempt(id: string): Promise<void> {
    const raw = await this.redis.get(jobKey(id))
    if (!raw) return
    const job = JSON.parse(raw) as Job
    const settings = await this.store.get(job.tenantId)
    if (!settings) return void (await this.redis.del(jobKey(id)))
    job.attempt++
    const result = await this.sender.send(settings.url, settings.secret, id, job.body)
    const delay = RETRY_DELAYS_MS[job.attempt - 1]
    const retry = !result.ok && !result.final && delay !== undefined
    const outcome = result.ok ? 'delivered' : retry ? 'retrying' : result.final ? 'refused' : 'failed'
    await this.store.log(job.tenantId, {
      id,
      at: Date.now(),
      event: job.event,
      attempt: job.attempt,
      outcome,
      detail: result.detail,
    })
    if (!retry) return void (await this.redis.del(jobKey(id)))
    await this.redis.set(jobKey(id), JSON.stringify(job), 'EX', 86_400)
    await this.redis.zadd(DUE, Date.now() + delay, id)
  }

  start(intervalMs = 1_000): void {
    const tick = () => {
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((err) => this.logger?.warn({ err: (err as Error).message }, 'webhook queue poll failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, intervalMs).unref()
        })
    }
    this.timer = setTimeout(tick, intervalMs).unref()
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    await this.running
  }
}
