import { randomUUID } from 'node:crypto'
import type { Job, Queue } from 'bullmq'
import { AppError } from '../errors/app-error.js'
import type { JobRuntime } from '../jobs/runtime.js'
import type { Logger } from '../logging/logger.js'
import type { RedisClient } from '../redis/client.js'
import { deliverWebhook, type WebhookJobData } from './deliver-webhook.js'
import { TenantSlots } from './tenant-slots.js'
import type { WebhookSender } from './webhook-delivery.js'
import type { WebhookStore } from './webhook-store.js'
import type { LoggedEvent } from '../events/event-log.js'
import { traceCarrier } from '../tracing/spans.js'

export const WEBHOOK_QUEUE = 'webhooks'

export interface DeliveryPolicy {
  /** Attempts per delivery before it becomes a dead letter. */
  attempts: number
  /** Back-off before the n-th retry: base × 2^(n-1), at most `maxBackoffMs`. */
  backoffMs: number
  maxBackoffMs: number
  /** Deliveries running at once per instance, and per tenant across all instances. */
  concurrency: number
  perTenant: number
  /** How long a delivery of a tenant at its share waits before it asks again. */
  busyDelayMs: number
}

/**
 * 10 attempts over about 17 minutes (2 s, 4 s, … 512 s): a receiver down for a deploy
 * still gets the event. 16 deliveries per instance and 2 per tenant: up to 8 tenants
 * with hanging endpoints at once still leave a slot free for everyone else.
 */
export const DEFAULT_POLICY: DeliveryPolicy = {
  attempts: 10,
  backoffMs: 2_000,
  maxBackoffMs: 600_000,
  concurrency: 16,
  perTenant: 2,
  busyDelayMs: 1_000,
}

/**
 * A killed process's delivery is handed back once its lock lapses (≤ 30 s) and the next
 * stalled check runs (every 15 s): redelivered well within two minutes of a restart.
 * A tenant's slot claim outlives the longest delivery (8 s, see WebhookSender).
 */
const LOCK_MS = 30_000
const STALLED_CHECK_MS = 15_000
/** BullMQ's connection waits for Redis forever (its workers need that); a page must not. */
const REQUEST_BOUND_MS = 3_000

function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError('service_unavailable', 'The job queue is not answering.', { status: 503 })),
      REQUEST_BOUND_MS,
    )
  })
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

export interface DeadLetter {
  id: string
  event: string
  attempts: number
  failedAt: number
  reason: string
}

/**
 * Webhook deliveries on BullMQ: one job per delivery, durable across crashes, retried
 * with back-off, fair between tenants, and kept as a dead letter when it gives up.
 */
export class WebhookDeliveries {
  readonly policy: DeliveryPolicy

  constructor(
    private readonly deps: {
      jobs: JobRuntime
      redis: RedisClient
      store: WebhookStore
      sender: WebhookSender
      logger?: Logger
      policy?: Partial<DeliveryPolicy>
    },
  ) {
    const policy = (this.policy = { ...DEFAULT_POLICY, ...deps.policy })
    const slots = new TenantSlots(deps.redis, policy.perTenant, LOCK_MS)
    const { store, sender, logger } = deps
    const { busyDelayMs } = policy
    const processor = deliverWebhook({ queue: WEBHOOK_QUEUE, store, sender, slots, logger, busyDelayMs })
    deps.jobs.define(WEBHOOK_QUEUE, processor, {
      concurrency: policy.concurrency,
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
      maxStalledCount: 3,
      settings: {
        backoffStrategy: (made: number) => Math.min(policy.backoffMs * 2 ** (made - 1), policy.maxBackoffMs),
      },
    })
  }

  /**
   * Queues one delivery of a logged event (again, for Resend); returns the job's id. The
   * body is fixed here, so every attempt sends the same bytes under the event's own id.
   */
  async enqueue(tenantId: string, event: LoggedEvent): Promise<string> {
    const id = randomUUID()
    const { type, timestamp, data: eventData } = event
    const data: WebhookJobData = {
      tenantId,
      event: type,
      body: JSON.stringify({ type, timestamp, data: eventData }),
      eventId: event.id,
      position: event.position,
      ...carried(),
    }
    const added = this.queue().add(type, data, {
      jobId: id,
      attempts: this.policy.attempts,
      backoff: { type: 'capped-exponential' },
      removeOnComplete: { age: 86_400, count: 1_000 },
      // Dead letters stay retryable for two weeks.
      removeOnFail: { age: 14 * 86_400 },
    })
    await bounded(added)
    return id
  }

  /** The tenant's deliveries that gave up, newest first. */
  async deadLetters(tenantId: string): Promise<DeadLetter[]> {
    const ids = await this.deps.store.deadIds(tenantId)
    const jobs = await bounded(Promise.all(ids.map((id) => this.find(tenantId, id))))
    const gone = ids.filter((_, i) => !jobs[i])
    // Aged out of the queue: forget them too.
    await Promise.all(gone.map((id) => this.deps.store.forgetDead(tenantId, id)))
    return jobs.filter((j) => j !== undefined).map(deadLetterOf)
  }

  /** Queues a dead letter again with all its attempts; undefined when the tenant has no such job. */
  async retry(tenantId: string, id: string): Promise<DeadLetter | undefined> {
    const job = await bounded(this.find(tenantId, id))
    if (!job) return undefined
    // Throws when the job is no longer failed (another admin pressed Retry first): fine.
    const again = job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true })
    await bounded(again.catch(() => undefined))
    await this.deps.store.forgetDead(tenantId, id)
    this.deps.logger?.info({ queue: WEBHOOK_QUEUE, jobId: id, tenantId }, 'webhook dead letter re-queued')
    return deadLetterOf(job)
  }

  private queue(): Queue<WebhookJobData> {
    return this.deps.jobs.queue(WEBHOOK_QUEUE) as Queue<WebhookJobData>
  }

  /** A job of this tenant's (another tenant's id is as good as none). */
  private async find(tenantId: string, id: string): Promise<Job<WebhookJobData> | undefined> {
    const job = (await this.queue().getJob(id)) as Job<WebhookJobData> | undefined
    return job?.data.tenantId === tenantId ? job : undefined
  }
}

function deadLetterOf(job: Job<WebhookJobData>): DeadLetter {
  return {
    id: job.id!,
    event: job.data.event,
    attempts: job.attemptsMade,
    failedAt: job.finishedOn ?? job.timestamp,
    reason: job.failedReason ?? '',
  }
}

/** The active trace context for a job's data, or nothing with tracing off. */
function carried(): { trace?: ReturnType<typeof traceCarrier> } {
  const trace = traceCarrier()
  return trace.traceparent ? { trace } : {}
}
