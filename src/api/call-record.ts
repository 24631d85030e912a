import type { RequestHandler } from 'express'
import type { Logger } from '../logging/logger.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ApiPrincipal } from '../api-keys/key-store.js'
import { refOfId } from './directory.js'
import { memberOf } from '../connections/member.js'

/** Bounded labels: the route's pattern, never the raw path (ids would make one series each). */
const ROUTES: Array<[RegExp, string]> = [
  [/^\/v1\/connections\/?$/, '/api/v1/connections'],
  [/^\/v1\/connections\/[^/]+\/?$/, '/api/v1/connections/:id'],
  [/^\/v1\/connections\/[^/]+\/messages\/?$/, '/api/v1/connections/:id/messages'],
  [/^\/v1\/events\/?$/, '/api/v1/events'],
  [/^\/v1\/openapi\.json$/, '/api/v1/openapi.json'],
  [/^\/docs\/?$/, '/api/docs'],
]

export function apiRoutePattern(pathUnderApi: string): string {
  return ROUTES.find(([re]) => re.test(pathUnderApi))?.[1] ?? 'unmatched'
}

export interface CallRecordDeps {
  audit: AuditLog
  logger: Logger
  observe?: (route: string, status: number) => void
}

/**
 * Once each API call is answered: counted by route and status, and, when a key was
 * presented and known, written to its tenant's audit log under the key's name (route,
 * connection, status; never the body, so never a message's text).
 */
export function recordCalls({ audit, logger, observe }: CallRecordDeps): RequestHandler {
  return (req, res, next) => {
    // Under /api, wherever this is mounted (the API's router, or a route's own chain).
    const path = `${req.baseUrl}${req.path}`.replace(/^\/api(?=\/|$)/i, '')
    const method = req.method
    res.once('finish', () => {
      const route = apiRoutePattern(path)
      observe?.(route, res.statusCode)
      const principal = res.locals.apiPrincipal as ApiPrincipal | undefined
      if (!principal || route === 'unmatched') return
      const id = /^\/v1\/connections\/([^/]+)/.exec(path)?.[1]
      const ref = id && res.statusCode !== 404 ? refOfId(principal.tenantId, id) : null
      const entry = {
        actorId: `api-key:${principal.keyId}`,
        actorEmail: `API key “${principal.name}”`,
        action: 'api.call' as const,
        detail: `${method} ${route} → ${res.statusCode}${id ? ` (connection ${id.slice(0, 80)})` : ''}`,
        accounts: ref ? [memberOf(ref)] : [],
      }
      auditCall(audit, logger, principal.tenantId, entry)
    })
    next()
  }
}

/**
 * Outside the request's closures on purpose: what waits for the audit append must not hold
 * the request and response (a burst of calls would keep thousands of them alive).
 */
function auditCall(audit: AuditLog, logger: Logger, tenantId: string, entry: AuditCall): void {
  audit.record(tenantId, entry).catch((err: unknown) => logger.warn({ err }, 'api call not audited'))
}

type AuditCall = Parameters<AuditLog['record']>[1]
