import { DelayedError, UnrecoverableError, type Job, type Processor } from 'bullmq'
import type { Logger } from '../logging/logger.js'
import type { WebhookSender } from './webhook-delivery.js'
import type { DeliveryRecord, WebhookStore } from './webhook-store.js'
import type { TenantSlots } from './tenant-slots.js'
import type { TraceCarrier } from '../tracing/spans.js'

/** One delivery: the body is signed as stored, so every attempt sends the same bytes. */
export interface WebhookJobData {
  tenantId: string
  event: string
  body: string
  /** The event's id (`webhook-id`) and place in the events stream; jobs queued before these carry neither. */
  eventId?: string
  position?: string
  /** The queuing request's trace context, with tracing on (the job's span links to it). */
  trace?: TraceCarrier
}

export interface DeliverDeps {
  queue: string
  store: WebhookStore
  sender: WebhookSender
  slots: TenantSlots
  /** How long a delivery waits while its tenant is at its share (doubled at most, by jitter). */
  busyDelayMs: number
  logger?: Logger
}

/**
 * The webhook queue's processor. A tenant at its share of running deliveries gets its
 * job put back as delayed (not counted as an attempt), so the worker slot goes to the
 * next job, usually another tenant's: a hanging endpoint holds at most `slots.limit`
 * worker slots. A failed attempt throws, and BullMQ retries it with back-off; the last
 * one (or a refusal by the SSRF guard) lists the job as a dead letter for the admin.
 */
export function deliverWebhook(deps: DeliverDeps): Processor<WebhookJobData> {
  return async (job, token) => {
    const id = job.id!
    if (!(await deps.slots.take(job.data.tenantId, id))) {
      await job.moveToDelayed(Date.now() + Math.round(deps.busyDelayMs * (1 + Math.random())), token)
      throw new DelayedError()
    }
    try {
      await attempt(deps, job, id)
    } finally {
      await deps.slots.give(job.data.tenantId, id)
    }
  }
}

async function attempt(deps: DeliverDeps, job: Job<WebhookJobData>, id: string): Promise<void> {
  const { tenantId, event, body, eventId = id, position } = job.data
  const named = { queue: deps.queue, jobId: id, tenantId, event }
  const settings = await deps.store.get(tenantId)
  if (!settings) {
    // The webhook was removed after the event: there is nowhere to deliver it.
    deps.logger?.info(named, 'webhook delivery dropped: no webhook set')
    return
  }
  const number = job.attemptsMade + 1
  const last = number >= (job.opts.attempts ?? 1)
  const result = await deps.sender.send(settings.url, settings.secrets, eventId, body)
  const outcome: DeliveryRecord['outcome'] = result.ok
    ? 'delivered'
    : result.final
      ? 'refused'
      : last
        ? 'failed'
        : 'retrying'
  await deps.store.log(tenantId, {
    id,
    eventId,
    ...(position ? { position } : {}),
    at: Date.now(),
    event,
    attempt: number,
    outcome,
    detail: result.detail,
  })
  // Names the job, never the URL (it may carry a credential) or the signing secret.
  const line = { ...named, attempt: number, outcome, detail: result.detail }
  if (result.ok) return void deps.logger?.info(line, 'webhook delivered')
  deps.logger?.warn(line, 'webhook delivery failed')
  if (outcome === 'retrying') throw new Error(result.detail)
  await deps.store.markDead(tenantId, id)
  throw new UnrecoverableError(result.detail)
}
