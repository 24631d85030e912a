import type { RedisClient } from '../redis/client.js'
import { connectionEventsKey } from '../redis/keys.js'
import { STATUS_REASONS, type StatusReason } from '../providers/status.js'
import type { ConnectionChange } from './events.js'
import type { ConnectionRef } from './record.js'

/** What the support console lists of a connection's life (DESIGN.md "Connection page for support"). */
export const LOGGED_EVENTS = [
  'connected',
  'refreshed',
  'failed',
  'kept_alive',
  'needs_reconnect',
  'recovered',
  'message_sent',
  'disconnected',
] as const
export type LoggedEvent = (typeof LOGGED_EVENTS)[number]

export interface ConnectionEventEntry {
  at: number
  event: LoggedEvent
  /** For `failed` and `needs_reconnect`: why, from the closed list (never provider text). */
  reason?: StatusReason
}

/** Each connection keeps its last 50 events; a log nobody writes to goes after 90 days. */
export const EVENTS_KEPT = 50
const IDLE_TTL_SEC = 90 * 86_400

/**
 * A capped Redis stream per connection, beside its record in the tenant's slot, written
 * from the lifecycle's announcements: the support console's history of a connection. It
 * holds an event word, a reason from the closed list and a time: no token, no provider text.
 */
export class ConnectionEventLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** The log entry a lifecycle change makes, or null (renames are not part of a connection's health). */
  static entryOf(change: ConnectionChange): Omit<ConnectionEventEntry, 'at'> | null {
    switch (change.kind) {
      case 'connected':
      case 'refreshed':
      case 'recovered':
      case 'message_sent':
      case 'disconnected':
        return { event: change.kind }
      case 'checked':
        return { event: 'kept_alive' }
      case 'degraded':
        return { event: 'failed', reason: change.reason }
      case 'needs_reconnect':
        return { event: 'needs_reconnect', reason: change.reason }
      default:
        return null
    }
  }

  async follow(change: ConnectionChange): Promise<void> {
    const entry = ConnectionEventLog.entryOf(change)
    if (entry) await this.append(change.ref, entry)
  }

  async append(ref: ConnectionRef, entry: Omit<ConnectionEventEntry, 'at'>): Promise<void> {
    const key = connectionEventsKey(ref)
    const fields = [
      'at',
      String(this.now()),
      'event',
      entry.event,
      ...(entry.reason ? ['reason', entry.reason] : []),
    ]
    await this.redis
      .multi()
      .xadd(key, 'MAXLEN', String(EVENTS_KEPT), '*', ...fields)
      .expire(key, IDLE_TTL_SEC)
      .exec()
  }

  /** The newest `count` events, newest first. */
  async recent(ref: ConnectionRef, count = EVENTS_KEPT): Promise<ConnectionEventEntry[]> {
    const raw = await this.redis.xrevrange(connectionEventsKey(ref), '+', '-', 'COUNT', count)
    return raw.flatMap(([, fields]) => {
      const f: Record<string, string> = {}
      for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!
      if (!(LOGGED_EVENTS as readonly string[]).includes(f.event ?? '')) return []
      const reason = (STATUS_REASONS as readonly string[]).includes(f.reason ?? '')
        ? (f.reason as StatusReason)
        : undefined
      return [{ at: Number(f.at), event: f.event as LoggedEvent, ...(reason ? { reason } : {}) }]
    })
  }
}
