import type { RedisClient } from '../redis/client.js'
import { tenantEventsKey } from '../redis/keys.js'
import type { EventType, TenantEvent } from './catalogue.js'

/** Events are kept 30 days, and at most this many per tenant (a bound on Redis, not a promise). */
export const EVENT_RETENTION_MS = 30 * 86_400_000
export const MAX_EVENTS = 20_000

/** An event with its place in the tenant's stream. */
export interface LoggedEvent extends TenantEvent {
  position: string
}

const POSITION = /^\d{1,15}-\d{1,10}$/

export function isPosition(value: string): boolean {
  return POSITION.test(value)
}

/**
 * The tenant's events of the last 30 days, a Redis stream in the tenant's own hash slot,
 * trimmed by age and by count on every append. A stream's ids only grow, so a position is
 * a cursor that stays valid however many events come after it.
 */
export class EventLog {
  constructor(
    private readonly redis: RedisClient,
    private readonly now: () => number = Date.now,
  ) {}

  async append(tenantId: string, event: TenantEvent): Promise<string> {
    const key = tenantEventsKey(tenantId)
    const oldest = `${this.now() - EVENT_RETENTION_MS}-0`
    const [[err, position]] = (await this.redis
      .multi()
      .xadd(key, 'MAXLEN', '~', MAX_EVENTS, '*', 'event', JSON.stringify(event))
      .xtrim(key, 'MINID', '~', oldest)
      .exec()) as [[Error | null, string]]
    if (err) throw err
    return position
  }

  /** Up to `count` events after `position` (exclusive), oldest first, none older than 30 days. */
  async after(tenantId: string, position: string | undefined, count: number): Promise<LoggedEvent[]> {
    const oldest = this.now() - EVENT_RETENTION_MS
    const start = position && Number(position.split('-')[0]) >= oldest ? `(${position}` : `${oldest}-0`
    const entries = await this.redis.xrange(tenantEventsKey(tenantId), start, '+', 'COUNT', count)
    return entries.map(([id, fields]) => logged(id, fields))
  }

  /** The newest position, so a reader can start from now. */
  async last(tenantId: string): Promise<string | null> {
    const [entry] = await this.redis.xrevrange(tenantEventsKey(tenantId), '+', '-', 'COUNT', 1)
    return entry ? entry[0] : null
  }

  async at(tenantId: string, position: string): Promise<LoggedEvent | undefined> {
    if (!isPosition(position)) return undefined
    const [entry] = await this.redis.xrange(tenantEventsKey(tenantId), position, position)
    return entry ? logged(entry[0], entry[1]) : undefined
  }
}

function logged(position: string, fields: string[]): LoggedEvent {
  const raw = fields[fields.indexOf('event') + 1] ?? '{}'
  return { ...(JSON.parse(raw) as TenantEvent<EventType>), position }
}
