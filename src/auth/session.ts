import type { Request, RequestHandler } from 'express'
import session from 'express-session'
import RedisStore from 'connect-redis'
import type { RedisClient } from '../redis/client.js'
import { SESSION_KEY_PREFIX, sessionKey } from '../redis/keys.js'

declare module 'express-session' {
  interface SessionData {
    userId?: string
    tenantId?: string
    /** When this session signed in (ms): older than the person's `sessionsValidAfter` is over. */
    signedInAt?: number
    flash?: Array<{ kind: 'info' | 'error'; text: string }>
    /** Where to go after signing in: a page that asked an anonymous visitor to sign in first. */
    returnTo?: string
    /** How this session was signed in, and the browser's user agent (for /account's list). */
    signedInVia?: 'password' | 'sso'
    agent?: string
  }
}

export const SESSION_COOKIE = 'sb.sid'
const EIGHT_HOURS_MS = 8 * 60 * 60 * 1000
/** A session's sliding lifetime in Redis, reset by every read. */
export const SESSION_TTL_SEC = EIGHT_HOURS_MS / 1000

/**
 * connect-redis whose sliding expiry rides with the read: the EXPIRE is sent in the same
 * tick as the GET (auto-pipelined: one round trip, one key, so one Cluster slot), instead of
 * express-session's touch after the page, which the response's last byte waited for (and
 * which split the response into two writes). Every request that sends a session cookie
 * reads its session, so every such request still resets the TTL; a save sets it as well.
 */
class TouchOnReadStore extends RedisStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSec: number,
  ) {
    super({ client: redis, prefix: SESSION_KEY_PREFIX, ttl: ttlSec, disableTouch: true })
  }

  override get(sid: string, cb?: Parameters<RedisStore['get']>[1]): Promise<void> {
    // A failure shows on the GET beside it (same connection); a missing key is a no-op.
    this.redis.expire(sessionKey(sid), this.ttlSec).catch(() => undefined)
    return super.get(sid, cb)
  }
}

export function sessionMiddleware(opts: {
  redis: RedisClient
  secret: string
  secure: boolean
}): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    store: new TouchOnReadStore(opts.redis, SESSION_TTL_SEC),
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

/**
 * Signs `user` in on a new session id (a session fixed before sign-in is worthless after),
 * stamped with the moment, which every later request compares with the person's
 * `sessionsValidAfter`.
 */
export async function beginSession(req: Request, user: { id: string; tenantId: string }): Promise<void> {
  await regenerate(req)
  req.session.userId = user.id
  req.session.tenantId = user.tenantId
  req.session.signedInAt = Date.now()
  await saveSession(req)
}

/**
 * False when the person ended every session since this one signed in (a password reset or
 * change, later any other "sign out everywhere"). A session from before sign-in times were
 * kept counts as signed in at 0: over once anything is stamped.
 */
export function sessionIsCurrent(
  session: { signedInAt?: number } | undefined,
  user: { sessionsValidAfter?: number },
): boolean {
  return (session?.signedInAt ?? 0) >= (user.sessionsValidAfter ?? 0)
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
