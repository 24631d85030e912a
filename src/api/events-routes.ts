import { Router } from 'express'
import { ValidationError } from '../errors/app-error.js'
import { isPosition, type LoggedEvent } from '../events/event-log.js'
import { parseInput } from '../http/validate.js'
import { principalOf, requireScope } from './authenticate.js'
import { EventList, EventsQuery } from './schemas.js'

/** What the feed reads: the tenant's 30-day event stream (events/event-log.ts), wired in api-deps.ts. */
export interface EventFeed {
  after(tenantId: string, position: string | undefined, count: number): Promise<LoggedEvent[]>
}

function encodeCursor(position: string): string {
  return Buffer.from(position, 'utf8').toString('base64url')
}

function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined
  const position = Buffer.from(cursor, 'base64url').toString('utf8')
  if (!isPosition(position)) throw new ValidationError('`cursor` is not one this API gave out.')
  return position
}

/**
 * `GET /events`: the organisation's events of the last 30 days, oldest first, the same
 * ids and bodies its webhook receives. `next_cursor` is always where to continue, also on
 * the last page, so a receiver that was down reads on from where it stopped and then
 * polls with the same cursor for what comes next.
 */
export function eventsRoutes({ feed }: { feed: EventFeed }): Router {
  const r = Router()
  r.get('/events', requireScope('read'), async (req, res) => {
    const query = parseInput(EventsQuery, req.query)
    const from = decodeCursor(query.cursor)
    // One more than asked says whether another page follows without a second read.
    const found = await feed.after(principalOf(res).tenantId, from, query.limit + 1)
    const page = found.slice(0, query.limit)
    const last = page[page.length - 1]?.position ?? from
    res.json(
      EventList.parse({
        data: page.map(({ position: _p, ...event }) => event),
        next_cursor: last ? encodeCursor(last) : null,
        has_more: found.length > query.limit,
      }),
    )
  })
  return r
}
