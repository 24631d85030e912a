import { randomUUID } from 'node:crypto'
import type { Request, RequestHandler, Response } from 'express'
import { requestLoggerOf, type Logger } from '../logging/logger.js'
import { harmlessQuery, routeOf } from './route-of.js'

const GIVEN_ID = /^[\w.-]{1,64}$/
const QUIET = new Set(['/healthz', '/metrics'])

declare module 'http' {
  interface IncomingMessage {
    /** This request's id (its `x-request-id`, given or made), as pino-http named it. */
    id?: string
  }
}

/**
 * One line per request when its response is done, with whitelisted fields only (request
 * id, method, the matched route's pattern, harmless query keys, status, user, tenant, time):
 * paths carry one-time link tokens (`/reset/<token>`), callback queries carry codes, states
 * and verifiers, and headers carry cookies, so none of them is ever written. A path no
 * route matched is written as `unmatched`.
 * The id comes from a well-formed `x-request-id` or is made here, and is sent back.
 */
export function requestLog(appLogger: Logger): RequestHandler {
  const log = requestLoggerOf(appLogger)
  return (req, res, next) => {
    const given = req.headers['x-request-id']
    const id = typeof given === 'string' && GIVEN_ID.test(given) ? given : randomUUID()
    req.id = id
    res.setHeader('x-request-id', id)
    if (QUIET.has(pathOf(req.url))) return next()
    const start = performance.now()
    res.once('close', () => {
      const status = res.statusCode
      // A page answered without the session middleware (a kept dashboard) names its user.
      const person = (req as Request).session ?? personOf(res as Response)
      const line = {
        req: { id, method: req.method, path: routeOf(req as Request), query: harmlessQuery(req as Request) },
        res: { statusCode: status },
        userId: person?.userId,
        tenantId: person?.tenantId,
        responseTime: Math.round(performance.now() - start),
      }
      if (!res.writableFinished) log.info(line, 'request aborted')
      else log.info(line, status >= 500 ? 'request errored' : 'request completed')
    })
    next()
  }
}

function personOf(res: Response): { userId?: string; tenantId?: string } | undefined {
  const user = res.locals?.user as { id?: string; tenantId?: string } | undefined
  return user && { userId: user.id, tenantId: user.tenantId }
}

function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}
