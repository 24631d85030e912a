import type { RequestHandler } from 'express'
import type { RedisClient } from '../redis/client.js'
import type { ConnectionRef } from '../connections/connection-store.js'
import { noticesKey } from '../redis/keys.js'
import type { UserStore } from '../auth/user-store.js'
import type { Logger } from '../logging/logger.js'
import type { ProviderId } from '../providers/types.js'
import type { StatusReason } from '../providers/status.js'
import { eventConnection, type EventPublisher } from './event-publisher.js'
import { tOf } from '../i18n/localize.js'

/**
 * Tells people when a connection breaks or comes back: a banner on the user's next page,
 * and the organisation's event (`connection.needs_reconnect` with its reason, or
 * `connection.recovered`), which its webhook receives; never carrying a token.
 */
export class StatusNotifier {
  constructor(
    private readonly deps: {
      redis: RedisClient
      users: UserStore
      events: Pick<EventPublisher, 'publish'>
      /** The provider's name for people (the registry's `label`). */
      labelOf: (provider: ProviderId) => string
      logger?: Logger
    },
  ) {}

  /**
   * A connection broke (`needs_reconnect`, with its reason) or works again (`connected`):
   * a banner for its owner and the tenant's webhook (`connection.needs_reconnect`,
   * `connection.recovered`). Becoming degraded is neither: the card says it, nobody is paged.
   */
  async statusChanged(
    ref: ConnectionRef,
    from: string,
    to: string,
    reason: StatusReason = 'grant_expired',
  ): Promise<void> {
    if (to !== 'needs_reconnect' && to !== 'connected') return
    // A reconnect is the owner's own act, already confirmed by its "connected" flash: a
    // second "works again" banner on the same page would say the same thing twice.
    if (from !== 'needs_reconnect') await this.bannerFor(ref, to)
    const user = await this.deps.users.get(ref.tenantId, ref.userId)
    const connection = eventConnection(ref, user?.email)
    if (to === 'needs_reconnect')
      await this.deps.events.publish(ref.tenantId, 'connection.needs_reconnect', {
        connection,
        reason,
      })
    else await this.deps.events.publish(ref.tenantId, 'connection.recovered', { connection })
  }

  /** Kept as a key and the provider's name, said in the reader's language when shown. */
  private async bannerFor(ref: ConnectionRef, to: 'needs_reconnect' | 'connected'): Promise<void> {
    const notice = {
      kind: to === 'needs_reconnect' ? 'error' : 'info',
      key: to === 'needs_reconnect' ? 'dashboard:notices.broken' : 'dashboard:notices.works',
      provider: this.deps.labelOf(ref.provider),
    }
    const key = noticesKey(ref.tenantId, ref.userId)
    await this.deps.redis
      .multi()
      .rpush(key, JSON.stringify(notice))
      .ltrim(key, -5, -1)
      .expire(key, 30 * 86_400)
      .exec()
  }

  /** Fire-and-forget form for event hooks: a notification failure never fails a request. */
  emit(ref: ConnectionRef, from: string, to: string, reason?: StatusReason): void {
    this.statusChanged(ref, from, to, reason).catch((err) =>
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
      if (items.length) {
        const t = tOf(req)
        const said = items.map((i) => {
          const n = JSON.parse(i) as { kind: string; text?: string; key?: string; provider?: string }
          return { kind: n.kind, text: n.key ? t(n.key, { provider: n.provider }) : n.text }
        })
        res.locals.flash = [...(res.locals.flash ?? []), ...said]
      }
      next()
    }
  }
}
