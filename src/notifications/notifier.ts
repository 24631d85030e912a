import type { RequestHandler } from 'express'
import type { RedisClient } from '../redis/client.js'
import type { ConnectionRef } from '../connections/connection-store.js'
import { noticesKey } from '../redis/keys.js'
import type { UserStore } from '../auth/user-store.js'
import type { Logger } from '../logging/logger.js'
import type { ProviderId } from '../providers/types.js'
import type { WebhookDeliveries } from './webhook-deliveries.js'
import type { WebhookStore } from './webhook-store.js'

/**
 * Tells people when a connection breaks or comes back: a banner on the user's next page,
 * and, when the tenant set one, a signed webhook event (never carrying a token).
 */
export class StatusNotifier {
  constructor(
    private readonly deps: {
      redis: RedisClient
      users: UserStore
      webhooks: WebhookStore
      queue: Pick<WebhookDeliveries, 'enqueue'>
      /** The provider's name for people (the registry's `label`). */
      labelOf: (provider: ProviderId) => string
      logger?: Logger
    },
  ) {}

  async statusChanged(ref: ConnectionRef, from: string, to: string): Promise<void> {
    const label = this.deps.labelOf(ref.provider)
    const text =
      to === 'needs_reconnect'
        ? `Your ${label} connection stopped working and needs to be reconnected.`
        : `Your ${label} connection works again.`
    const key = noticesKey(ref.tenantId, ref.userId)
    await this.deps.redis
      .multi()
      .rpush(key, JSON.stringify({ kind: to === 'needs_reconnect' ? 'error' : 'info', text }))
      .ltrim(key, -5, -1)
      .expire(key, 30 * 86_400)
      .exec()
    if (!(await this.deps.webhooks.url(ref.tenantId))) return
    const user = await this.deps.users.get(ref.tenantId, ref.userId)
    await this.deps.queue.enqueue(ref.tenantId, 'connection.status_changed', {
      event: 'connection.status_changed',
      tenant: ref.tenantId,
      user: { id: ref.userId, email: user?.email },
      provider: ref.provider,
      old_status: from,
      new_status: to,
      at: new Date().toISOString(),
    })
  }

  /** Fire-and-forget form for event hooks: a notification failure never fails a request. */
  emit(ref: ConnectionRef, from: string, to: string): void {
    this.statusChanged(ref, from, to).catch((err) =>
      this.deps.logger?.warn({ err: (err as Error).message }, 'status notification failed'),
    )
  }

  /** Moves the signed-in user's pending notices into this page's flash messages. */
  exposeNotices(): RequestHandler {
    return async (req, res, next) => {
      const { userId, tenantId } = req.session ?? {}
      if (!userId || !tenantId || req.method !== 'GET') return next()
      const key = noticesKey(tenantId, userId)
      const [[, items]] = ((await this.deps.redis.multi().lrange(key, 0, -1).del(key).exec()) ?? [
        [null, []],
      ]) as [[null, string[]]]
      if (items.length)
        res.locals.flash = [...(res.locals.flash ?? []), ...items.map((i) => JSON.parse(i) as unknown)]
      next()
    }
  }
}
