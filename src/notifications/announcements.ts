import type { UserStore } from '../auth/user-store.js'
import type { ConnectionChange } from '../connections/events.js'
import type { Money, ProviderId } from '../providers/types.js'
import { isShared } from '../connections/owner.js'
import { eventConnection, type EventPublisher } from './event-publisher.js'

export type AnnounceSent = (
  ref: { tenantId: string; userId: string; provider: ProviderId },
  message: { id: string; to: string; parts: number; cost: Money | null },
  sentBy: string,
  /** The person who sent (their email); absent for an API key. */
  byPerson?: string,
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
    const by = change.kind === 'connected' || change.kind === 'disconnected' ? change.by : undefined
    void this.connectionOf(change.ref, by).then((connection) => {
      if (change.kind === 'disconnected')
        this.deps.events.emit(change.ref.tenantId, 'connection.disconnected', {
          connection,
          cause: change.cause,
        })
      else this.deps.events.emit(change.ref.tenantId, 'connection.connected', { connection })
    })
  }

  readonly messageSent: AnnounceSent = (ref, message, sentBy, byPerson) =>
    void this.connectionOf(ref, undefined, byPerson).then((connection) =>
      this.deps.events.emit(ref.tenantId, 'message.sent', { connection, message, sentBy }),
    )

  /**
   * A personal connection names its owner; a shared one (owned by the organisation) names the
   * person who acted, by user id (`by`) or by email (`byEmail`), or nobody.
   */
  private async connectionOf(
    ref: { tenantId: string; userId: string; provider: ProviderId },
    by?: string,
    byEmail?: string,
  ) {
    if (isShared(ref) && !by) return eventConnection(ref, byEmail)
    const user = await this.deps.users
      .get(ref.tenantId, isShared(ref) ? by! : ref.userId)
      .catch(() => undefined)
    return eventConnection(ref, user?.email)
  }
}
