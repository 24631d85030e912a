import { randomBytes } from 'node:crypto'
import type { Request, RequestHandler, Response } from 'express'
import ejs from 'ejs'
import { setCurrentUser } from '../auth/current-user.js'
import type { User } from '../auth/user-store.js'
import type { ProviderRegistry } from '../providers/registry.js'
import { formatValue } from '../views/format.js'
import { chartGeometry } from './chart.js'
import { ANY_GENERATION, type BuiltCard, type DashboardService } from './dashboard-service.js'
import type { PageCache, PageFacts } from './page-cache.js'
import { versionsOf, type PageState, type PageStateReader } from './page-state.js'

/** The languages pages will be offered in; every kept page is keyed by one. */
export const PAGE_LANGUAGES = ['en', 'de'] as const

/** The user's chosen language, else the browser's preference among ours, else English. */
export function pageLanguage(chosen: string | undefined, req: Request): string {
  if (chosen && (PAGE_LANGUAGES as readonly string[]).includes(chosen)) return chosen
  return req.acceptsLanguages(...PAGE_LANGUAGES) || 'en'
}

export interface WarmDashboardDeps {
  state: PageStateReader
  pages: PageCache
  dashboard: DashboardService
  providers: ProviderRegistry
  /** The session's CSRF token (made and stored in the session when it has none). */
  csrfToken(req: Request): string
  /** Lets an error page read the token as every other page does. */
  exposeToken: RequestHandler
}

/**
 * GET /dashboard for a signed-in user with nothing to show once (no flash message, notice
 * or Send SMS draft): the per-user state in one Redis round trip after the session's, then
 * the page kept in memory when every fact it was rendered from still holds, else rendered
 * (decrypting tokens only then) and kept when all of its cards came from one known state.
 * The CSRF token is rendered as a placeholder and filled in per request. Anything else goes
 * on to the normal chain (next()), which behaves as it always has.
 */
export function warmDashboard(deps: WarmDashboardDeps): RequestHandler {
  // Random per process, so no provider answer or account label can contain it.
  const placeholder = `csrf-placeholder-${randomBytes(16).toString('hex')}`
  const providers = () => deps.providers.all().map((p) => p.id)

  return async (req, res, next) => {
    const s = req.session
    if (!s?.userId || !s.tenantId || s.flash?.length || s.smsDraft) return next()
    const { tenantId, userId } = s
    const state = await deps.state.read(tenantId, userId, providers())
    const user = state.user
    // A removed user goes the normal way: the session is ended and the browser sent to /login.
    if (!user) return next()
    setCurrentUser(req, res, user)
    deps.exposeToken(req, res, () => undefined)
    if (state.hasNotices) return next()

    const key = `${tenantId}\n${userId}\n${pageLanguage(state.language, req)}`
    const facts: PageFacts = { role: user.role, email: user.email, versions: versionsOf(state.cards) }
    const kept = deps.pages.take(key, facts)
    if (kept) return send(res, kept, deps.csrfToken(req))

    const built = await deps.dashboard.build(user)
    const html = await render(req, user, built, placeholder)
    const parts = html.split(placeholder).map((p) => Buffer.from(p))
    const after = await keepable(built, state, () => deps.state.read(tenantId, userId, providers()))
    if (after) deps.pages.keep(key, { ...facts, versions: versionsOf(after.cards) }, parts)
    send(res, parts, deps.csrfToken(req))
  }
}

/**
 * The state the page shows, read again after rendering, when the page may be kept: every card
 * came from one panel cache generation, and nothing the page shows changed while it was built
 * (a record read in between is then the one both reads saw). Undefined when it may not.
 */
async function keepable(
  built: BuiltCard[],
  before: PageState,
  reread: () => Promise<PageState>,
): Promise<PageState | undefined> {
  if (built.some((b) => b.generation === null)) return undefined
  const after = await reread()
  const same =
    after.user?.role === before.user?.role &&
    after.user?.email === before.user?.email &&
    after.cards.every((c, i) => {
      const g = built[i]!.generation
      return c.fingerprint === before.cards[i]!.fingerprint && (g === ANY_GENERATION || g === c.generation)
    })
  return same && !after.hasNotices ? after : undefined
}

function render(req: Request, user: User, built: BuiltCard[], csrfToken: string): Promise<string> {
  const locals = {
    title: 'Dashboard',
    cards: built.map((b) => b.card),
    formatValue,
    chartGeometry,
    smsDraft: undefined,
    user,
    flash: [],
    csrfToken,
  }
  return new Promise((resolve, reject) =>
    req.app.render('dashboard', locals, (err, html) => (err ? reject(err) : resolve(html))),
  )
}

/** One buffer, one write: the page with this session's token; no ETag (a per-session page). */
function send(res: Response, parts: Buffer[], token: string): void {
  const tokenBytes = Buffer.from(/^[\w-]*$/.test(token) ? token : ejs.escapeXML(token))
  const chunks: Buffer[] = []
  parts.forEach((p, i) => (i ? chunks.push(tokenBytes, p) : chunks.push(p)))
  const body = Buffer.concat(chunks)
  res.statusCode = 200
  res.setHeader('Content-Type', 'text/html; charset=utf-8')
  res.setHeader('Content-Length', body.length)
  res.end(body)
}
