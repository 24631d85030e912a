import type { UserStore } from '../auth/user-store.js'
import type { TenantCiphers } from '../crypto/tenant-ciphers.js'
import { EventLog } from '../events/event-log.js'
import type { Logger } from '../logging/logger.js'
import type { JobRuntime } from '../jobs/runtime.js'
import type { ProviderId } from '../providers/types.js'
import type { RedisClient } from '../redis/client.js'
import { Announcements } from './announcements.js'
import { EventPublisher } from './event-publisher.js'
import { StatusNotifier } from './notifier.js'
import { WebhookDeliveries, type DeliveryPolicy } from './webhook-deliveries.js'
import { WebhookSender } from './webhook-delivery.js'
import { WebhookStore } from './webhook-store.js'

/** The notifications room as the composition root wires it: events, their log, webhooks, banners. */
export function buildNotifications(deps: {
  redis: RedisClient
  ciphers: TenantCiphers
  users: UserStore
  jobs: JobRuntime
  config: { webhookAllowPrivate: boolean }
  labelOf: (provider: ProviderId) => string
  logger: Logger
  webhookPolicy?: Partial<DeliveryPolicy>
}) {
  const { redis, users, logger } = deps
  const webhooks = new WebhookStore(redis, deps.ciphers)
  const webhookQueue = new WebhookDeliveries({
    jobs: deps.jobs,
    redis,
    store: webhooks,
    sender: new WebhookSender(deps.config.webhookAllowPrivate),
    logger,
    policy: deps.webhookPolicy,
  })
  const eventLog = new EventLog(redis)
  const events = new EventPublisher({ log: eventLog, webhooks, queue: webhookQueue, logger })
  const announcements = new Announcements({ users, events })
  const notifier = new StatusNotifier({ redis, users, events, labelOf: deps.labelOf, logger })
  return { webhooks, webhookQueue, eventLog, events, announcements, notifier }
}
