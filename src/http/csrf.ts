import type { Request, RequestHandler } from 'express'
import { csrfSync } from 'csrf-sync'

/**
 * Synchroniser-token CSRF: the token lives in the (Redis) session and every state-changing
 * form posts it back as `_csrf`. A POST without a valid one is answered 403.
 */
export function csrfProtection(): {
  protect: RequestHandler
  exposeToken: RequestHandler
  token: (req: Request) => string
} {
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    getTokenFromRequest: (req) => {
      const fromBody = (req.body as Record<string, unknown> | undefined)?._csrf
      return typeof fromBody === 'string' ? fromBody : req.get('x-csrf-token')
    },
    errorConfig: { statusCode: 403, message: 'invalid csrf token', code: 'csrf_failed' },
  })
  return {
    protect: csrfSynchronisedProtection,
    token: (req) => generateToken(req),
    // Made when a page first reads it (rendering spreads res.locals), so a redirect, a JSON
    // answer or an anonymous error page stores no session; assigning it overrides it.
    exposeToken: (req, res, next) => {
      let token: string | undefined
      Object.defineProperty(res.locals, 'csrfToken', {
        enumerable: true,
        configurable: true,
        get: () => (token ??= generateToken(req)),
        set: (value: string) => void (token = value),
      })
      next()
    },
  }
}

/**
 * For a page an anonymous visitor reads without a form (`/api/docs`): no CSRF token is made,
 * so no session is stored for them. A signed-in person's page keeps its token (Log out).
 */
export const noTokenForAnonymous: RequestHandler = (_req, res, next) => {
  if (!res.locals.user) res.locals.csrfToken = ''
  next()
}
