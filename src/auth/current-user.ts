import type { Request, RequestHandler, Response } from 'express'
import { AppError, ForbiddenError } from '../errors/app-error.js'
import { regenerate } from './session.js'
import type { Role, User, UserStore } from './user-store.js'

const USER = Symbol('user')
type WithUser = Request & { [USER]?: User }

/**
 * Loads the signed-in user from Redis on every request, so a role change or a removed
 * user takes effect at once, on every instance, whatever the session still says.
 */
export function loadUser(users: UserStore): RequestHandler {
  return async (req, res, next) => {
    const { userId, tenantId } = req.session
    // Already read in this request (the warm dashboard reads it with the page's state).
    if (!userId || !tenantId || currentUser(req)) return next()
    const user = await users.get(tenantId, userId)
    if (!user) {
      // The old session is deleted; the request goes on with a fresh anonymous one.
      await regenerate(req)
      return next()
    }
    ;(req as WithUser)[USER] = user
    res.locals.user = user
    next()
  }
}

/** For a handler that read the user itself, in the same request, from Redis. */
export function setCurrentUser(req: Request, res: Response, user: User): void {
  ;(req as WithUser)[USER] = user
  res.locals.user = user
}

export function currentUser(req: Request): User | undefined {
  return (req as WithUser)[USER]
}

/** The signed-in user, or an error that sends the browser to /login. */
export function requireUser(req: Request): User {
  const user = currentUser(req)
  if (!user) throw new AppError('auth_required', 'Please sign in.', { status: 401 })
  return user
}

export const requireSignedIn: RequestHandler = (req, res, next) => {
  if (currentUser(req)) return next()
  if (req.method === 'GET' && req.accepts(['html', 'json']) === 'html') return res.redirect(303, '/login')
  next(new AppError('auth_required', 'Please sign in.', { status: 401 }))
}

/** One middleware per route group: the session's user must hold one of `roles`. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const user = currentUser(req)
    if (!user) return next(new AppError('auth_required', 'Please sign in.', { status: 401 }))
    if (!roles.includes(user.role)) return next(new ForbiddenError())
    next()
  }
}
