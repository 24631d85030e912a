import type { ApiDeps } from '../api/routes.js'
import { ConnectionPages } from '../connections/connection-pages.js'
import { maskNumber } from '../connections/message-sender.js'
import { isShared } from '../connections/owner.js'
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
    kept: s.kept,
    listings: s.listings,
    sending: {
      send: (ref, sender, message) => s.sender.send(ref, sender, message),
      list: (ref, page) => s.sender.list(ref, page),
      mask: maskNumber,
    },
    audit: s.audit,
    feed: s.eventLog,
    announceSent: (ref, m, sentBy) =>
      s.announcements.messageSent(ref, { id: m.id, to: m.to, parts: m.parts, cost: m.cost }, sentBy),
    directory: {
      after: (tenantId, position, count) => pages.after(tenantId, position, count),
      summaries: (refs) => s.store.summaries(refs),
      emails: (tenantId, userIds) => s.users.emails(tenantId, userIds),
      isShared,
      entries: (tenantId, members) => s.supportIndex.entries(tenantId, members),
      remember: async (ref, read) => void (await s.supportIndex.recordBalance(ref, read)),
    },
    observe: deps.metrics ? (route, status) => deps.metrics?.observeApiCall(route, status) : undefined,
    ...deps.api,
  }
}
