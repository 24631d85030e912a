import type { Request, RequestHandler, Response } from 'express'
import { setCurrentUser } from '../auth/current-user.js'
import type { SessionPeek, SignedSession } from '../auth/session-peek.js'
import { localize } from '../i18n/localize.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { PageRequest } from './page-server.js'
import type { PageStateReader } from './page-state.js'
import { handOver, holdsOnce, pagePerson } from './warm-route.js'

export interface KeptPageDoorDeps {
  sessions: SessionPeek
  state: PageStateReader
  providers: ProviderRegistry
  /** Answers a checked person's page (page-server.ts). */
  serve: (req: Request, res: Response, page: PageRequest) => Promise<void>
}

/**
 * GET /dashboard answered before the session middleware: the most visited page, and one
 * that never changes the session when it holds nothing for the next page. The session is
 * read as express-session reads it (never written), and for a cookie seen before it goes in
 * one round trip with the person's page state. The page (kept, assembled or built) is
 * answered only when every fact the warm route checks holds and the session has its CSRF
 * token; in any other case the request goes on (next()) to the session middleware and the
 * warm route, which takes the state already read.
 */
export function keptPageDoor(deps: KeptPageDoorDeps): RequestHandler {
  return (req, res, next) => {
    if (req.originalUrl !== '/dashboard') return next()
    const session = deps.sessions.cookieOf(req)
    if (!session) return next()
    answer(deps, req, res, session).then(
      (sent) => sent || next(),
      // Redis away or hung: the error page, in the reader's language like every other page
      // (not read again by the chain, which would wait as long a second time).
      (err: unknown) => localize(req, res, () => next(err)),
    )
  }
}

/** Reads the session and the page state (together when the cookie's person is known). */
async function readBoth(deps: KeptPageDoorDeps, session: SignedSession) {
  const ids = deps.providers.all().map((p) => p.id)
  const who = session.last
  if (who) {
    const [record, state] = await Promise.all([
      deps.sessions.read(session),
      deps.state.read(who.tenantId, who.userId, ids),
    ])
    // The state was read for the person this cookie held last time: valid only if it still does.
    const same = record?.tenantId === who.tenantId && record.userId === who.userId
    return same ? { record, state, who } : undefined
  }
  const record = await deps.sessions.read(session)
  if (!record?.tenantId || !record.userId) return undefined
  const found = { tenantId: record.tenantId, userId: record.userId }
  return { record, state: await deps.state.read(found.tenantId, found.userId, ids), who: found }
}

async function answer(
  deps: KeptPageDoorDeps,
  req: Request,
  res: Response,
  session: SignedSession,
): Promise<boolean> {
  const read = await readBoth(deps, session)
  if (!read) return false
  const { record, state, who } = read
  // Read for this person now: the warm route uses it if the door does not answer.
  handOver(req, who.tenantId, who.userId, state)
  const token = record.csrfToken
  if (holdsOnce(record) || typeof token !== 'string') return false
  const user = pagePerson(record, state)
  if (!user) return false
  setCurrentUser(req, res, user)
  // What the session, CSRF and locale middleware give every page: the token for an error
  // page, the answer's dependence on language and cookie, the rolled session cookie.
  res.locals.csrfToken = token
  res.vary('Accept-Language')
  res.vary('Cookie')
  deps.sessions.roll(req, res, session, record)
  await deps.serve(req, res, { ...who, user, state, token: () => token })
  return true
}
