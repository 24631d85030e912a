import { randomUUID } from 'node:crypto'
import { connectionIdOf, type EventData, type EventType, type TenantEvent } from '../events/catalogue.js'
import type { EventLog, LoggedEvent } from '../events/event-log.js'
import { isShared } from '../connections/owner.js'
import type { Logger } from '../logging/logger.js'
import type { ProviderId } from '../providers/types.js'
import type { WebhookDeliveries } from './webhook-deliveries.js'
import type { WebhookStore } from './webhook-store.js'

/**
 * Where every event of an organisation goes: into its 30-day stream (the events feed) and,
 * when it has a webhook, into one signed delivery. A receiver that missed deliveries finds
 * the same events, under the same ids, in `GET /api/v1/events`.
 */
export class EventPublisher {
  constructor(
    private readonly deps: {
      log: EventLog
      webhooks: Pick<WebhookStore, 'url'>
      queue: Pick<WebhookDeliveries, 'enqueue'>
      logger?: Logger
    },
  ) {}

  async publish<T extends EventType>(tenantId: string, type: T, data: EventData<T>): Promise<LoggedEvent> {
    const event: TenantEvent = {
      id: `msg_${randomUUID().replaceAll('-', '')}`,
      type,
      timestamp: new Date().toISOString(),
      data,
    }
    const position = await this.deps.log.append(tenantId, event)
    const logged = { ...event, position }
    if (await this.deps.webhooks.url(tenantId)) await this.deps.queue.enqueue(tenantId, logged)
    return logged
  }

  /** Fire-and-forget form for event hooks: an event that cannot be told never fails a request. */
  emit<T extends EventType>(tenantId: string, type: T, data: EventData<T>): void {
    this.publish(tenantId, type, data).catch((err: unknown) =>
      this.deps.logger?.warn({ err: (err as Error).message, type }, 'event not published'),
    )
  }

  /** Delivers a logged event once more, under its own id; undefined when the tenant has no such event. */
  async resend(tenantId: string, event: LoggedEvent | undefined): Promise<string | undefined> {
    if (!event || !(await this.deps.webhooks.url(tenantId))) return undefined
    return this.deps.queue.enqueue(tenantId, event)
  }
}

/**
 * How an event names a connection: its owner as the API does, and `user.email` the owner's
 * (personal) or the acting person's (shared, when a person acted; else null).
 */
export function eventConnection(
  ref: { userId: string; provider: ProviderId },
  email: string | null | undefined,
): EventData<'connection.connected'>['connection'] {
  const owner = isShared(ref)
    ? { type: 'organisation' as const }
    : { type: 'user' as const, email: email ?? null }
  return { id: connectionIdOf(ref), provider: ref.provider, owner, user: { email: email ?? null } }
}
