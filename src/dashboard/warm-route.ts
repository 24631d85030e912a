import { createHmac } from 'node:crypto'
import type { Request, RequestHandler, Response } from 'express'
import ejs from 'ejs'
import { setCurrentUser } from '../auth/current-user.js'
import { sessionIsCurrent } from '../auth/session.js'
import { applyPreferences } from '../i18n/localize.js'
import type { User } from '../auth/user-store.js'
import type { ProviderRegistry } from '../providers/registry.js'
import { formatValue } from '../views/format.js'
import { chartGeometry } from './chart.js'
import { ANY_GENERATION, type BuiltCard, type CardModel, type DashboardService } from './dashboard-service.js'
import { personKey, type PageCache, type PageFacts } from './page-cache.js'
import type { PanelCache } from './panel-cache.js'
import { renderCard, renderPage, type CardHtml, type PageLocals } from './page-render.js'
import { versionsOf, type PageState, type PageStateReader } from './page-state.js'

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

/** A kept page's key: the person and the variant of its text (language, time zone). */
export const pageKey = (tenantId: string, userId: string, lang: string, timeZone: string | undefined) =>
  `${personKey(tenantId, userId)}\n${lang}|${timeZone ?? ''}`

export interface WarmDashboardDeps {
  state: PageStateReader
  pages: PageCache
  cache: PanelCache
  dashboard: DashboardService
  providers: ProviderRegistry
  /** The session's CSRF token (made and stored in the session when it has none). */
  csrfToken(req: Request): string
  /** Lets an error page read the token as every other page does. */
  exposeToken: RequestHandler
  /** A secret all instances share (the session secret), from which the CSRF placeholder is made. */
  secret: string
}

/**
 * GET /dashboard for a signed-in user with nothing to show once (no flash message, notice
 * or Send SMS draft): the per-user state in one Redis round trip after the session's, then
 * the page kept in memory when every fact it was rendered from still holds; else assembled
 * from each card's HTML kept beside its panel cache (for exactly this state), else built
 * (decrypting tokens only then), its cards kept where they came from one known state. The
 * CSRF token is rendered as a placeholder and filled in per request. Anything else goes on
 * to the normal chain (next()), which behaves as it always has.
 */
export function warmDashboard(deps: WarmDashboardDeps): RequestHandler {
  // The same on every instance (cards kept in Redis carry it), and made from a secret, so no
  // provider answer or account label can contain it.
  const digest = createHmac('sha256', deps.secret).update('dashboard csrf placeholder').digest('hex')
  const placeholder = `csrf-placeholder-${digest.slice(0, 32)}`
  const providers = () => deps.providers.all()

  return async (req, res, next) => {
    const s = req.session
    // The page as linked (a query could only ever make another page to keep).
    if (req.originalUrl !== '/dashboard') return next()
    if (!s?.userId || !s.tenantId || holdsOnce(s)) return next()
    const { tenantId, userId } = s
    const ids = providers().map((p) => p.id)
    const state = handedOver(req, tenantId, userId) ?? (await deps.state.read(tenantId, userId, ids))
    const user = state.user
    // A removed user, or a session older than the person's last password reset or change,
    // goes the normal way: the session is ended and the browser sent to /login.
    if (!user || !sessionIsCurrent(s, user)) return next()
    setCurrentUser(req, res, user)
    deps.exposeToken(req, res, () => undefined)
    // Shared cards follow the person's access on every request: never a kept page.
    if (state.hasNotices || state.showsShared) return next()
    // The person's language and time zone, chosen exactly as on every other page.
    const { lang, t } = applyPreferences(req, res, { language: state.language, timeZone: state.timeZone })

    // The page's variant: everything besides the state that changes its text (language, time zone).
    const language = `${lang}|${state.timeZone ?? ''}`
    const key = pageKey(tenantId, userId, lang, state.timeZone)
    const facts: PageFacts = { role: user.role, email: user.email, versions: versionsOf(state.cards) }
    const kept = deps.pages.take(key, facts)
    if (kept) return send(res, kept, deps.csrfToken(req))

    const viewCache = req.app.enabled('view cache') as boolean
    const locals = pageLocals(req, res, user, placeholder, t('dashboard:title'))
    const split = (html: string) => html.split(placeholder).map((p) => Buffer.from(p))
    const keptCards = await deps.cache.keptCards(tenantId, userId, ids, language)
    const cards: CardHtml[] = []
    for (const [i, provider] of providers().entries()) {
      const c = state.cards[i]!
      const k = keptCards[i]
      if (c.fingerprint === 'none') {
        const card: CardModel = { provider, state: 'disconnected', scopes: provider.scopes }
        cards.push({ card, html: await renderCard(locals, card, viewCache) })
      } else if (k && k.generation === c.generation && k.fingerprint === c.fingerprint) {
        const card: CardModel = {
          provider,
          state: 'connected',
          panels: [],
          grantedScopes: [],
          accountLabel: '',
        }
        cards.push({ card, html: k.html })
      } else break
    }
    if (cards.length === ids.length) {
      // Every card as kept for exactly the state just read: the page shows that state.
      const parts = split(renderPage(locals, cards, viewCache))
      deps.pages.keep(key, facts, parts)
      return send(res, parts, deps.csrfToken(req))
    }

    const built = await deps.dashboard.build(user)
    const htmls = await Promise.all(built.map((b) => renderCard(locals, b.card, viewCache)))
    // Rendered while the provider reads' follow-ups were being stored; answered once they are.
    await Promise.all(built.map((b) => b.settled))
    const parts = split(
      renderPage(
        locals,
        built.map((b, i) => ({ card: b.card, html: htmls[i]! })),
        viewCache,
      ),
    )
    // Worth a second read only if it can keep something: a card with a cache state, or the page.
    const keepable = (b: BuiltCard) => b.generation !== null && b.generation !== ANY_GENERATION
    if (built.some(keepable) || built.every((b) => b.generation !== null)) {
      // Read again: a card may be kept only if nothing it shows changed while it was built
      // (a record read in between is then the one both reads saw).
      const after = await deps.state.read(tenantId, userId, ids)
      const valid = built.map((b, i) => {
        const [was, now] = [state.cards[i]!, after.cards[i]!]
        const g = b.generation
        return (
          g !== null && now.fingerprint === was.fingerprint && (g === ANY_GENERATION || g === now.generation)
        )
      })
      const keeps = built.map((b, i) =>
        valid[i] && b.generation !== ANY_GENERATION
          ? deps.cache.keepCard(tenantId, userId, ids[i]!, language, {
              generation: b.generation!,
              fingerprint: after.cards[i]!.fingerprint,
              html: htmls[i]!,
            })
          : false,
      )
      await Promise.all(keeps)
      const sameUser = after.user?.role === user.role && after.user?.email === user.email
      if (valid.every(Boolean) && sameUser && !after.hasNotices && !after.showsShared)
        deps.pages.keep(key, { ...facts, versions: versionsOf(after.cards) }, parts)
    }
    send(res, parts, deps.csrfToken(req))
  }
}

/** What res.render would give the view (app and response locals), with the token as placeholder. */
function pageLocals(req: Request, res: Response, user: User, csrfToken: string, title: string): PageLocals {
  return {
    ...(req.app.locals as PageLocals),
    ...(res.locals as PageLocals),
    title,
    formatValue,
    chartGeometry,
    smsDraft: undefined,
    toolOutcome: undefined,
    askedScopes: undefined,
    currentPath: '/dashboard',
    user,
    flash: [],
    csrfToken,
  }
}

/** One buffer, one write: the page with this session's token; no ETag (a per-session page). */
export function send(res: Response, parts: Buffer[], token: string): void {
  const tokenBytes = Buffer.from(/^[\w-]*$/.test(token) ? token : ejs.escapeXML(token))
  const chunks: Buffer[] = []
  parts.forEach((p, i) => (i ? chunks.push(tokenBytes, p) : chunks.push(p)))
  const body = Buffer.concat(chunks)
  res.statusCode = 200
  res.setHeader('Content-Type', 'text/html; charset=utf-8')
  res.setHeader('Content-Length', body.length)
  res.end(body)
}
