import type { Request, RequestHandler } from 'express'
import session from 'express-session'
import RedisStore from 'connect-redis'
import type { RedisClient } from '../redis/client.js'
import { SESSION_KEY_PREFIX } from '../redis/keys.js'

declare module 'express-session' {
  interface SessionData {
    userId?: string
    tenantId?: string
    flash?: Array<{ kind: 'info' | 'error'; text: string }>
  }
}

export const SESSION_COOKIE = 'sb.sid'
const EIGHT_HOURS_MS = 8 * 60 * 60 * 1000

export function sessionMiddleware(opts: {
  redis: RedisClient
  secret: string
  secure: boolean
}): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    store: new RedisStore({ client: opts.redis, prefix: SESSION_KEY_PREFIX }),
    secret: opts.secret,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: undefined,
    cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secure, maxAge: EIGHT_HOURS_MS, path: '/' },
  })
}

/** New session id at every privilege change, so a session fixed before sign-in is worthless after. */
export function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())))
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())))
}

export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())))
}

export function flash(req: Request, kind: 'info' | 'error', text: string): void {
  req.session.flash = [...(req.session.flash ?? []), { kind, text }].slice(-5)
}

/** Moves pending flash messages into the page being rendered. */
export const exposeFlash: RequestHandler = (req, res, next) => {
  res.locals.flash = req.session.flash ?? []
  if (req.session.flash?.length) delete req.session.flash
  next()
}
