import type { RequestHandler } from 'express'
import { csrfSync } from 'csrf-sync'

/**
 * Synchroniser-token CSRF: the token lives in the (Redis) session and every state-changing
 * form posts it back as `_csrf`. A POST without a valid one is answered 403.
 */
export function csrfProtection(): { protect: RequestHandler; exposeToken: RequestHandler } {
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: (req) => {
      const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf
      return typeof fromBody === 'string' ? fromBody : req.get('x-csrf-token')
    },
    errorConfig: { statusCode: 403, message: 'invalid csrf token', code: 'csrf_failed' },
  })
  return {
    protect: csrfSynchronisedProtection,
    exposeToken: (req, res, next) => {
      res.locals.csrfToken = generateToken(req)
      next()
    },
  }
}
