import { createHmac } from 'node:crypto'
import type { Request, Response } from 'express'
import ejs from 'ejs'
import { applyPreferences } from '../i18n/localize.js'
import type { User } from '../auth/user-store.js'
import { afterRequestsWritten } from '../providers/http.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { Provider } from '../providers/types.js'
import { formatValue } from '../views/format.js'
import { chartGeometry } from './chart.js'
import {
  ANY_GENERATION,
  type BuiltCard,
  type CardModel,
  type CardRecordFacts,
  type PanelRenderer,
} from './card-model.js'
import type { DashboardService } from './dashboard-service.js'
import type { PageCache, PageFacts } from './page-cache.js'
import type { PanelCache } from './panel-cache.js'
import {
  fillShell,
  renderCard,
  renderCardTail,
  renderPage,
  renderPanel,
  renderShell,
  type CardHtml,
  type PageLocals,
} from './page-render.js'
import { versionsOf, type PageState, type PageStateReader } from './page-state.js'

export interface PageServerDeps {
  state: PageStateReader
  pages: PageCache
  cache: PanelCache
  dashboard: DashboardService
  providers: ProviderRegistry
  /** A secret all instances share (the session secret), from which the CSRF placeholder is made. */
  secret: string
}

/** A signed-in person's dashboard to answer: the state read for them in this request. */
export interface PageRequest {
  tenantId: string
  userId: string
  user: User
  state: PageState
  /** This session's CSRF token. */
  token: () => string
}

/** A kept page's key: the person and the variant of its text (language, time zone). */
export const pageKey = (tenantId: string, userId: string, lang: string, timeZone: string | undefined) =>
  `${tenantId}\n${userId}\n${lang}|${timeZone ?? ''}`

/**
 * Answers the dashboard of a person whose session and state were checked: the page kept in
 * memory when every fact it was rendered from still holds; else assembled from each card's
 * HTML kept beside its panel cache (for exactly this state), else built (decrypting tokens
 * only then), its cards kept where they came from one known state. The CSRF token is
 * rendered as a placeholder and filled in per request.
 */
export function pageServer(
  deps: PageServerDeps,
): (req: Request, res: Response, page: PageRequest) => Promise<void> {
  // The same on every instance (cards kept in Redis carry it), and made from a secret, so no
  // provider answer or account label can contain it.
  const digest = createHmac('sha256', deps.secret).update('dashboard csrf placeholder').digest('hex')
  const placeholder = `csrf-placeholder-${digest.slice(0, 32)}`
  const slot = `card-slot-${digest.slice(32)}`
  const providers = () => deps.providers.all()

  return async (req, res, page) => {
    const { tenantId, userId, user, state } = page
    const ids = providers().map((p) => p.id)
    // The person's language and time zone, chosen exactly as on every other page.
    const { lang, t } = applyPreferences(req, res, { language: state.language, timeZone: state.timeZone })

    // The page's variant: everything besides the state that changes its text (language, time zone).
    const language = `${lang}|${state.timeZone ?? ''}`
    const key = pageKey(tenantId, userId, lang, state.timeZone)
    const facts: PageFacts = { role: user.role, email: user.email, versions: versionsOf(state.cards) }
    const kept = deps.pages.take(key, facts)
    if (kept) return send(res, kept, page.token())

    const viewCache = req.app.enabled('view cache') as boolean
    const locals = pageLocals(req, res, user, placeholder, t('dashboard:title'))
    const split = (html: string) => html.split(placeholder).map((p) => Buffer.from(p))
    // A connected card whose panel cache is empty is built, and the page with it: nothing kept
    // can serve it, so no kept card is read (a page seen again after 30 s is such a page).
    const builds = state.cards.some((c) => c.fingerprint !== 'none' && c.generation === '')
    const keptCards = builds ? [] : await deps.cache.keptCards(tenantId, userId, ids, language)
    const cards: CardHtml[] = []
    if (!builds)
      for (const [i, provider] of providers().entries()) {
        const c = state.cards[i]!
        const k = keptCards[i]
        if (c.fingerprint === 'none') {
          const card: CardModel = { provider, state: 'disconnected', scopes: provider.scopes }
          cards.push({ card, html: renderCard(locals, card, viewCache) })
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
      return send(res, parts, page.token())
    }

    // Each panel rendered as its answer arrives and each card as its last panel does; what
    // needs no answer (the page around the cards, a card that called nobody) is rendered
    // while the answers are awaited, once the calls have left. What is left after the
    // slowest provider call is that panel, its card and putting the page together.
    const render: PanelRenderer = (provider, model) => renderPanel(locals, provider, model, viewCache)
    const present = new Set(state.cards.filter((c) => c.fingerprint !== 'none').map((c) => c.provider))
    const slots = ids.map((_, i) => `${slot}[${i}]`)
    let shell: Promise<string> | undefined
    const tails = new Map<string, Promise<string>>()
    const waiting = (provider: Provider, card: CardRecordFacts) => {
      shell ??= afterRequestsWritten().then(() => renderShell(locals, slots, viewCache))
      const tail = afterRequestsWritten().then(() => renderCardTail(locals, provider, card, viewCache))
      for (const p of [shell, tail]) p.catch(() => undefined)
      tails.set(provider.id, tail)
    }
    const cacheGeneration = (id: string) => state.cards.find((c) => c.provider === id)?.generation
    const options = { render, present: (id: string) => present.has(id), waiting, cacheGeneration }
    const rendered = await Promise.all(
      deps.dashboard.buildEach(user, options).map(async (card) => {
        const b = await card
        if (b.card.state !== 'connected') await afterRequestsWritten()
        const tail = b.card.state === 'connected' ? await tails.get(b.card.provider.id) : undefined
        return { b, html: renderCard(locals, b.card, viewCache, tail) }
      }),
    )
    const built = rendered.map((r) => r.b)
    const htmls = rendered.map((r) => r.html)
    // Rendered while the provider reads' follow-ups were being stored; answered once they are.
    await Promise.all(built.map((b) => b.settled))
    const html =
      shell && !built.every((b) => b.card.state === 'disconnected')
        ? fillShell(await shell, slots, htmls)
        : renderPage(
            locals,
            built.map((b, i) => ({ card: b.card, html: htmls[i]! })),
            viewCache,
          )
    const parts = split(html)
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
    send(res, parts, page.token())
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
