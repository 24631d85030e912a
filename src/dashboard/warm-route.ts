import type { Request, RequestHandler, Response } from 'express'
import { setCurrentUser } from '../auth/current-user.js'
import { sessionIsCurrent } from '../auth/session.js'
import type { User } from '../auth/user-store.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { PageRequest } from './page-server.js'
import type { PageState, PageStateReader } from './page-state.js'

/**
 * What the session holds for the next page only (a message, a form as typed, a tool's
 * answer, the ticks of a denied connect): such a page takes the normal chain, which shows
 * and removes it, and is never kept. A new one-shot key belongs here too.
 */
export const ONCE = ['flash', 'smsDraft', 'toolOutcome', 'askedScopes'] as const

const pending = (v: unknown) => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null)

/** True when the session holds something for the next page only (see ONCE). */
export const holdsOnce = (s: Partial<Record<(typeof ONCE)[number], unknown>>) =>
  ONCE.some((k) => pending(s[k]))

/**
 * The person a dashboard may be answered for from this state: none for a removed user, a
 * session older than the person's last password reset or change (the normal chain ends it
 * and sends the browser to /login), or a page with notices or shared cards (those follow
 * the person's access on every request and are shown by the normal chain).
 */
export function pagePerson(session: { signedInAt?: number }, state: PageState): User | undefined {
  const user = state.user
  if (!user || !sessionIsCurrent(session, user) || state.hasNotices || state.showsShared) return undefined
  return user
}

const READ = Symbol('page state read')
type WithState = Request & { [READ]?: { tenantId: string; userId: string; state: PageState } }

/** Hands the page state read at the door to the warm route, which then need not read it again. */
export function handOver(req: Request, tenantId: string, userId: string, state: PageState): void {
  ;(req as WithState)[READ] = { tenantId, userId, state }
}

/** The state read earlier in this request for this person, if any. */
function handedOver(req: Request, tenantId: string, userId: string): PageState | undefined {
  const read = (req as WithState)[READ]
  return read?.tenantId === tenantId && read.userId === userId ? read.state : undefined
}

export interface WarmDashboardDeps {
  state: PageStateReader
  providers: ProviderRegistry
  /** Answers a checked person's page (page-server.ts). */
  serve: (req: Request, res: Response, page: PageRequest) => Promise<void>
  /** The session's CSRF token (made and stored in the session when it has none). */
  csrfToken(req: Request): string
  /** Lets an error page read the token as every other page does. */
  exposeToken: RequestHandler
}

/**
 * GET /dashboard after the session middleware, for what the door (kept-page-door.ts) left:
 * a session it does not know or could not use as it is (one without a CSRF token yet, made
 * and stored here). With nothing to show once (no flash message, notice or Send SMS draft)
 * the page is answered from the per-user state read in one round trip; anything else goes
 * on to the normal chain (next()), which behaves as it always has.
 */
export function warmDashboard(deps: WarmDashboardDeps): RequestHandler {
  return async (req, res, next) => {
    const s = req.session
    // The page as linked (a query could only ever make another page to keep).
    if (req.originalUrl !== '/dashboard') return next()
    if (!s?.userId || !s.tenantId || holdsOnce(s)) return next()
    const { tenantId, userId } = s
    const ids = deps.providers.all().map((p) => p.id)
    const state = handedOver(req, tenantId, userId) ?? (await deps.state.read(tenantId, userId, ids))
    const user = pagePerson(s, state)
    if (!user) return next()
    setCurrentUser(req, res, user)
    deps.exposeToken(req, res, () => undefined)
    await deps.serve(req, res, { tenantId, userId, user, state, token: () => deps.csrfToken(req) })
  }
}
