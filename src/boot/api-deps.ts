import type { ApiDeps } from '../api/routes.js'
import { ConnectionPages } from '../connections/connection-pages.js'
import type { AppDeps, Services } from './services.js'

/**
 * The tenant API's dependencies, wired beside the composition root (src/services.ts): the
 * API reads connections through this directory, built here from the stores that own the
 * data, and uses grants only through the connection lifecycle.
 */
export function apiDeps(deps: AppDeps, s: Services): ApiDeps {
  const pages = new ConnectionPages(deps.redis)
  return {
    baseUrl: deps.config.baseUrl,
    redis: deps.redis,
    logger: deps.logger,
    keys: s.apiKeys,
    lifecycle: s.connections,
    audit: s.audit,
    directory: {
      after: (tenantId, position, count) => pages.after(tenantId, position, count),
      summaries: (refs) => s.store.summaries(refs),
      emails: (tenantId, userIds) => s.users.emails(tenantId, userIds),
      entries: (tenantId, members) => s.supportIndex.entries(tenantId, members),
    },
    observe: deps.metrics ? (route, status) => deps.metrics?.observeApiCall(route, status) : undefined,
    ...deps.api,
  }
}
