import type { Request, RequestHandler } from 'express'
import { parseInput } from '../http/validate.js'
import { checkScope, earlyRead, principalOf, type EarlyRead } from './authenticate.js'
import { listConnections } from './connections-routes.js'
import { listedFreshUntil, type KeptConnectionDeps } from './kept-connection.js'
import type { KeptListings, ListingPeek } from './kept-listing.js'
import { sendJsonText } from './json-text.js'
import { ListQuery } from './schemas.js'

export interface ListingDeps extends KeptConnectionDeps {
  listings: KeptListings
}

/** Kept answers are per exact query string: only ever one that was answered 200 before. */
const queryOf = (req: Request) => {
  const at = req.url.indexOf('?')
  return at < 0 ? '' : req.url.slice(at + 1)
}
const keptListingOf = (tenantId: string) => `kept listing ${tenantId}`

/** For `authenticate` on the listing's chain: its kept answer is read beside the rate limit. */
export function keptListingEarly(listings: Pick<KeptListings, 'peek'>): EarlyRead {
  return (req, principal) => ({
    key: keptListingOf(principal.tenantId),
    read: listings.peek(principal.tenantId, queryOf(req)),
  })
}

/**
 * `GET /api/v1/connections`, for keys with the `read` scope: the kept answer when the
 * listing has not changed since it was built, else built (and kept for the next caller).
 */
export function listTenantConnections(deps: ListingDeps): RequestHandler {
  return async (req, res) => {
    checkScope(res, 'read')
    const { tenantId } = principalOf(res)
    const query = queryOf(req)
    const peek = await (earlyRead<ListingPeek>(res, keptListingOf(tenantId)) ??
      deps.listings.peek(tenantId, query))
    if (peek.body !== undefined) return sendJsonText(res, peek.body)
    const list = await listConnections(deps, tenantId, parseInput(ListQuery, req.query))
    const body = JSON.stringify(list)
    sendJsonText(res, body)
    const until = listedFreshUntil(list.data)
    // Keeping is an optimisation: a failed write costs the next caller a build, nothing more.
    if (until !== undefined)
      void deps.listings.keep(tenantId, query, peek.version, until, body).catch(() => 0)
  }
}
