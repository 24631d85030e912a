import type { Request, Response } from 'express'
import type { SessionData } from 'express-session'
import cookie from 'cookie'
import signature from 'cookie-signature'
import type { RedisClient } from '../redis/client.js'
import { sessionKey } from '../redis/keys.js'
import { SESSION_COOKIE, SESSION_TTL_SEC } from './session.js'

/** The session's cookie options as express-session stores them beside the data. */
interface StoredCookie {
  originalMaxAge?: number | null
  secure?: boolean
  httpOnly?: boolean
  domain?: string
  path?: string
  sameSite?: boolean | 'lax' | 'strict' | 'none'
  partitioned?: boolean
  priority?: 'low' | 'medium' | 'high'
}

/** A session as stored (what express-session would load), read without express-session. */
export type SessionRecord = Omit<Partial<SessionData>, 'cookie'> & {
  cookie?: StoredCookie
  csrfToken?: string
}

/** A request's session cookie whose signature holds, and who its session was last read for. */
export interface SignedSession {
  /** The cookie's value as signed (`s:<id>.<signature>`), decoded as express-session decodes it. */
  signed: string
  sid: string
  last?: { tenantId: string; userId: string }
}

/** Cookies whose signature was checked: enough for the people signed in to one instance. */
const REMEMBERED = 10_000

/**
 * Reads a session as express-session does (the same cookie, signature, key, JSON and sliding
 * TTL), for the one page that answers without the session middleware: a kept dashboard
 * reload. It never writes the session; a page that would change it takes the normal chain.
 * A cookie's signature is checked once per value: a cookie this instance verified before is
 * recognised by its exact value, and remembers whose session it held, so the next read can
 * go in the same round trip as that person's page state.
 */
export class SessionPeek {
  private readonly known = new Map<string, SignedSession>()

  constructor(
    private readonly redis: RedisClient,
    private readonly secret: string,
  ) {}

  /** The session id the request's cookie names, when it is signed with our secret. */
  cookieOf(req: Request): SignedSession | undefined {
    const header = req.headers.cookie
    if (!header) return undefined
    // The first cookie of that name, decoded: what express-session reads.
    const signed = cookie.parse(header)[SESSION_COOKIE]
    if (!signed?.startsWith('s:')) return undefined
    const seen = this.known.get(signed)
    if (seen) return seen
    const sid = signature.unsign(signed.slice(2), this.secret)
    if (sid === false) return undefined
    if (this.known.size >= REMEMBERED) this.known.delete(this.known.keys().next().value!)
    const fresh: SignedSession = { signed, sid }
    this.known.set(signed, fresh)
    return fresh
  }

  /** The stored session, its TTL slid as every read through the session middleware does. */
  async read(session: SignedSession): Promise<SessionRecord | null> {
    // GETEX reads and slides the TTL in one command (express-session's GET then touch), sent
    // in the tick of a read beside it (auto-pipelined).
    const json = await this.redis.getex(sessionKey(session.sid), 'EX', SESSION_TTL_SEC)
    if (!json) return null
    const record = JSON.parse(json) as SessionRecord
    if (record.userId && record.tenantId) session.last = { tenantId: record.tenantId, userId: record.userId }
    return record
  }

  /**
   * The rolling cookie express-session would set on this answer: the same value, expiring
   * its original max age from now; none for a Secure cookie over plain HTTP.
   */
  roll(req: Request, res: Response, session: SignedSession, record: SessionRecord): void {
    const c: StoredCookie = record.cookie ?? {}
    if (c.secure && !req.secure) return
    const expires = typeof c.originalMaxAge === 'number' ? new Date(Date.now() + c.originalMaxAge) : undefined
    const { secure, httpOnly, domain, path, sameSite, partitioned, priority } = c
    const options = { expires, secure, httpOnly, domain, path, sameSite, partitioned, priority }
    res.append('Set-Cookie', cookie.serialize(SESSION_COOKIE, session.signed, options))
  }
}
