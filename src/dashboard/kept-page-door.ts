import type { Request, RequestHandler, Response } from 'express'
import { setCurrentUser } from '../auth/current-user.js'
import { sessionIsCurrent } from '../auth/session.js'
import type { SessionPeek, SessionRecord, SignedSession } from '../auth/session-peek.js'
import { localize, personLanguage } from '../i18n/localize.js'
import type { ProviderRegistry } from '../providers/registry.js'
import { personKey, type PageCache } from './page-cache.js'
import { versionsOf, type PageState, type PageStateReader } from './page-state.js'
import { handOver, holdsOnce, pageKey, send } from './warm-route.js'

export interface KeptPageDoorDeps {
  sessions: SessionPeek
  state: PageStateReader
  pages: PageCache
  providers: ProviderRegistry
}

/**
 * GET /dashboard answered with the page this process keeps, before the session middleware:
 * the most visited answer, and the one that most often has nothing new to say. The session
 * is read as express-session reads it (never written: a page that would change it is not
 * kept), and for a cookie seen before it goes in one round trip with the person's page
 * state. The page is sent only when every fact the warm route checks holds; in any other
 * case, or for a cookie not seen before, the request goes on (next()) to the warm route.
 */
export function keptPageDoor(deps: KeptPageDoorDeps): RequestHandler {
  return (req, res, next) => {
    if (req.originalUrl !== '/dashboard') return next()
    const session = deps.sessions.cookieOf(req)
    if (!session) return next()
    // Nothing kept for the person this cookie held: the warm route builds the page.
    const who = session.last
    if (who && !deps.pages.holdsAny(personKey(who.tenantId, who.userId))) return next()
    answerKept(deps, req, res, session).then(
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

async function answerKept(
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
  if (holdsOnce(record) || typeof record.csrfToken !== 'string') return false
  const page = keptPage(deps.pages, req, record, state, who)
  if (!page) return false
  setCurrentUser(req, res, state.user!)
  res.setHeader('Content-Language', page.lang)
  // What localize says for every page: the answer depends on these two.
  res.vary('Accept-Language')
  res.vary('Cookie')
  deps.sessions.roll(req, res, session, record)
  send(res, page.parts, record.csrfToken)
  return true
}

/** The kept page for this state, when the warm route would serve it as kept. */
function keptPage(
  pages: PageCache,
  req: Request,
  record: SessionRecord,
  state: PageState,
  who: { tenantId: string; userId: string },
): { parts: Buffer[]; lang: string } | undefined {
  const user = state.user
  if (!user || !sessionIsCurrent(record, user) || state.hasNotices || state.showsShared) return undefined
  const lang = personLanguage(req, state.language)
  const key = pageKey(who.tenantId, who.userId, lang, state.timeZone)
  const parts = pages.take(key, { role: user.role, email: user.email, versions: versionsOf(state.cards) })
  return parts && { parts, lang }
}
