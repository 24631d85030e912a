import { Router, type RequestHandler } from 'express'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import type { KeptRead } from '../connections/kept-read.js'
import type { Logger } from '../logging/logger.js'
import type { RedisClient } from '../redis/client.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ApiKeyStore } from '../api-keys/key-store.js'
import { authenticate, type ApiLimits, type EarlyRead } from './authenticate.js'
import { recordCalls } from './call-record.js'
import { keptBodyEarly, readOneConnection } from './connections-routes.js'
import type { KeptListings } from './kept-listing.js'
import { keptListingEarly, listTenantConnections } from './listing-route.js'
import { noStore } from '../http/no-store.js'
import type { ConnectionDirectory } from './directory.js'
import { docsRoutes } from './docs-routes.js'
import { eventsRoutes, type EventFeed } from './events-routes.js'
import { IdempotencyStore, type IdempotencyOptions } from './idempotency.js'
import { messagesRoutes, type MessageSending, type MessagesRoutesDeps } from './messages-routes.js'
import { apiErrorHandler, apiNotFound } from './problem.js'
import { jsonBody } from './json-body.js'

export interface ApiDeps {
  baseUrl: string
  redis: RedisClient
  logger: Logger
  keys: ApiKeyStore
  directory: ConnectionDirectory
  lifecycle: ConnectionLifecycle
  /** Every connection's one kept read (balance and profile, 30 s, shared by all instances). */
  kept: KeptRead
  /** The listing's kept answers (kept-listing.ts). */
  listings: KeptListings
  sending: MessageSending
  audit: AuditLog
  /** The organisation's 30-day event stream. */
  feed: EventFeed
  limits?: ApiLimits
  idempotency?: IdempotencyOptions
  observe?: (route: string, status: number) => void
  announceSent?: MessagesRoutesDeps['announceSent']
}

/**
 * Everything under `/api`: mounted before the session and CSRF middleware, so no call
 * makes a session or needs a cookie. JSON in and out; every error (404s included) is
 * problem+json from this router's own handler. No CORS headers: browsers on other
 * origins cannot call it, servers can.
 */
export function apiRoutes(deps: ApiDeps): Router {
  const r = Router()
  r.use(recordCalls({ audit: deps.audit, logger: deps.logger, observe: deps.observe }))
  r.use(docsRoutes(deps.baseUrl))
  const v1 = Router()
  v1.use(noStore)
  v1.use(authenticate(deps.keys, deps.redis, deps.limits))
  v1.use(jsonBody())
  v1.use(eventsRoutes(deps))
  v1.use(messagesRoutes({ ...deps, idempotency: new IdempotencyStore(deps.redis, deps.idempotency) }))
  r.use('/v1', v1)
  r.use(apiNotFound)
  r.use(apiErrorHandler(deps.baseUrl, deps.logger))
  return r
}

/** The paths of the most called reads, each on a chain of its own. */
export const ONE_CONNECTION_PATH = '/api/v1/connections/:id'
export const LISTING_PATH = '/api/v1/connections'

/**
 * A most called read on one flat chain, mounted at the top of the app (like the dashboard's):
 * the same steps as any API call (recorded, no-store, key and rate limit, problem+json
 * errors), without passing the routers of every other route on the way; and its kept answer
 * is read beside the rate limit (`early`).
 */
function flatChain(deps: ApiDeps, early: EarlyRead, read: RequestHandler): RequestHandler[] {
  return [
    recordCalls({ audit: deps.audit, logger: deps.logger, observe: deps.observe }),
    noStore,
    authenticate(deps.keys, deps.redis, deps.limits, early),
    read,
    apiErrorHandler(deps.baseUrl, deps.logger),
  ] as RequestHandler[]
}

/** `GET /api/v1/connections/:id`: one connection's kept answer. */
export const oneConnectionChain = (deps: ApiDeps) =>
  flatChain(deps, keptBodyEarly(deps.kept), readOneConnection(deps))

/** `GET /api/v1/connections`: the listing's kept answer. */
export const listingChain = (deps: ApiDeps) =>
  flatChain(deps, keptListingEarly(deps.listings), listTenantConnections(deps))
