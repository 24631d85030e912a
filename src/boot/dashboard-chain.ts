import type { RequestHandler } from 'express'
import { SessionPeek } from '../auth/session-peek.js'
import type { Config } from '../config/config.js'
import { DashboardService } from '../dashboard/dashboard-service.js'
import { keptPageDoor } from '../dashboard/kept-page-door.js'
import { PageCache } from '../dashboard/page-cache.js'
import { pageServer } from '../dashboard/page-server.js'
import { PageStateReader } from '../dashboard/page-state.js'
import { warmDashboard } from '../dashboard/warm-route.js'
import type { csrfProtection } from '../http/csrf.js'
import type { RedisClient } from '../redis/client.js'
import type { Services } from './services.js'

export interface DashboardChain {
  dashboard: DashboardService
  pages: PageCache
  /** The page answered before the session middleware, when the session allows. */
  door: RequestHandler
  /** The page after the session middleware, for what the door left. */
  warm: RequestHandler
}

/** The dashboard's service and the two handlers of its own chain, sharing one page server. */
export function dashboardChain(
  deps: { config: Config; redis: RedisClient; panelDeadlineMs?: number },
  services: Services,
  csrf: ReturnType<typeof csrfProtection>,
): DashboardChain {
  const { config, redis } = deps
  const dashboard = new DashboardService({
    providers: services.providers,
    store: services.store,
    connections: services.connections,
    cache: services.cache,
    kept: services.kept,
    panelDeadlineMs: deps.panelDeadlineMs,
  })
  const pages = new PageCache()
  const state = new PageStateReader(redis)
  const { providers } = services
  const serve = pageServer({
    state,
    pages,
    cache: services.cache,
    dashboard,
    providers,
    secret: config.sessionSecret,
  })
  const door = keptPageDoor({
    sessions: new SessionPeek(redis, config.sessionSecret),
    state,
    providers,
    serve,
  })
  const warm = warmDashboard({
    state,
    providers,
    serve,
    csrfToken: csrf.token,
    exposeToken: csrf.exposeToken,
  })
  return { dashboard, pages, door, warm }
}
