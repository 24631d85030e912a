import type { UserStore } from '../auth/user-store.js'
import type { ConnectionChange } from '../connections/events.js'
import type { Money, ProviderId } from '../providers/types.js'
import { eventConnection, type EventPublisher } from './event-publisher.js'

export type AnnounceSent = (
  ref: { tenantId: string; userId: string; provider: ProviderId },
  message: { id: string; to: string; parts: number; cost: Money | null },
  sentBy: string,
) => void

/**
 * The organisation's events that are not status moves (those come with the banners, in
 * notifier.ts): a connection made or disconnected, a message sent. Each names the
 * connection's owner; none carries a token or a message's text. Fire-and-forget: an event
 * that cannot be told never fails the request that caused it.
 */
export class Announcements {
  constructor(private readonly deps: { users: Pick<UserStore, 'get'>; events: EventPublisher }) {}

  connectionChanged(change: ConnectionChange): void {
    const fresh = change.kind === 'connected' && change.from !== 'needs_reconnect'
    if (!fresh && change.kind !== 'disconnected') return
    void this.connectionOf(change.ref).then((connection) => {
      if (change.kind === 'disconnected')
        this.deps.events.emit(change.ref.tenantId, 'connection.disconnected', {
          connection,
          cause: change.cause,
        })
      else this.deps.events.emit(change.ref.tenantId, 'connection.connected', { connection })
    })
  }

  readonly messageSent: AnnounceSent = (ref, message, sentBy) =>
    void this.connectionOf(ref).then((connection) =>
      this.deps.events.emit(ref.tenantId, 'message.sent', { connection, message, sentBy }),
    )

  private async connectionOf(ref: { tenantId: string; userId: string; provider: ProviderId }) {
    const user = await this.deps.users.get(ref.tenantId, ref.userId).catch(() => undefined)
    return eventConnection(ref, user?.email)
  }
}
