import { randomUUID } from 'node:crypto'
import type { Request, RequestHandler } from 'express'
import { requestLoggerOf, type Logger } from '../logging/logger.js'

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
 * id, method, path without the query, status, user, tenant, time): callback queries carry
 * codes, states and verifiers, and headers carry cookies, so neither is ever written.
 * The id comes from a well-formed `x-request-id` or is made here, and is sent back.
 */
export function requestLog(appLogger: Logger): RequestHandler {
  const log = requestLoggerOf(appLogger)
  return (req, res, next) => {
    const given = req.headers['x-request-id']
    const id = typeof given === 'string' && GIVEN_ID.test(given) ? given : randomUUID()
    req.id = id
    res.setHeader('x-request-id', id)
    if (QUIET.has(req.url)) return next()
    const start = performance.now()
    res.once('close', () => {
      const status = res.statusCode
      const session = (req as Request).session
      const line = {
        req: { id, method: req.method, path: pathOf(req.originalUrl ?? req.url) },
        res: { statusCode: status },
        userId: session?.userId,
        tenantId: session?.tenantId,
        responseTime: Math.round(performance.now() - start),
      }
      if (!res.writableFinished) log.info(line, 'request aborted')
      else log.info(line, status >= 500 ? 'request errored' : 'request completed')
    })
    next()
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}
