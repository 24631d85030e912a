import path from 'node:path'
import ejs from 'ejs'
import { VIEWS_DIR } from '../config/paths.js'
import type { Provider } from '../providers/types.js'
import type { CardModel, CardRecordFacts, PanelModel } from './card-model.js'

const PAGE = path.join(VIEWS_DIR, 'dashboard.ejs')
const CARD = path.join(VIEWS_DIR, 'partials', 'card.ejs')
const PANEL = path.join(VIEWS_DIR, 'partials', 'panel.ejs')
const TAIL = path.join(VIEWS_DIR, 'partials', 'card-tail.ejs')

/** Everything the dashboard's templates read besides the cards. */
export type PageLocals = Record<string, unknown>

/** A card and its HTML, rendered alone or kept. */
export interface CardHtml {
  card: CardModel
  html: string
}

/**
 * A panel rendered alone, as soon as its answer arrives: the same template and data as the
 * card's include of it (the card's locals, the panel and its provider).
 */
export function renderPanel(
  locals: PageLocals,
  provider: Provider,
  panel: PanelModel,
  cache: boolean,
): string {
  return template(PANEL, {}, cache)({ ...locals, panel, p: provider })
}

/**
 * A card rendered alone: the same template and data as the page's own include of it. When
 * every panel was rendered as it arrived, the card's include of the panel partial is
 * answered with that HTML.
 */
export function renderCard(locals: PageLocals, card: CardModel, cache: boolean, tail?: string): string {
  const connected = card.state === 'connected'
  const standIns: Record<string, string> = {}
  if (connected && card.panels.every((p) => p.html !== undefined)) standIns[PANEL] = '<%- panel.html %>'
  if (connected && tail !== undefined) standIns[TAIL] = '<%- keptTail %>'
  return template(CARD, standIns, cache)({ ...locals, card, keptTail: tail })
}

/**
 * A connected card's tail (asking for more scopes, its name, disconnecting), rendered as the
 * card's include of it renders it: it shows only what the connection's record holds, so it
 * can be rendered before any answer. A built page asks for no scopes (its locals have no
 * `askedScopes`), so nothing in it is opened for that.
 */
export function renderCardTail(
  locals: PageLocals,
  provider: Provider,
  card: CardRecordFacts,
  cache: boolean,
): string {
  return template(TAIL, {}, cache)({ ...locals, p: provider, card, asked: null })
}

/**
 * The page from HTML its cards already have: the views stay as they are, and the page's
 * include of the card partial is answered with the card's HTML.
 */
export function renderPage(locals: PageLocals, cards: CardHtml[], cache: boolean): string {
  const page = template(PAGE, { [CARD]: '<%- card.keptHtml %>' }, cache)
  return page({ ...locals, cards: cards.map((c) => ({ ...c.card, keptHtml: c.html })) })
}

/**
 * The page around its cards, with `slots[i]` where card i goes (fillShell puts them in): what
 * renderPage gives when not every card is disconnected (the page's only question of them).
 */
export function renderShell(locals: PageLocals, slots: string[], cache: boolean): string {
  const page = template(PAGE, { [CARD]: '<%- card.keptHtml %>' }, cache)
  return page({ ...locals, cards: slots.map((slot) => ({ state: 'connected', keptHtml: slot })) })
}

/** The shell with each card's HTML in its slot. */
export function fillShell(shell: string, slots: string[], htmls: string[]): string {
  return slots.reduce((page, slot, i) => page.replace(slot, () => htmls[i]!), shell)
}

const compiled = new Map<string, ejs.TemplateFunction>()

/**
 * A view whose includes of the partials in `standIns` are answered by the stand-in template
 * instead. Compiled once per variant (in production); a stand-in is cached under its own
 * name, so the normal render of a view never meets the stand-in version of a partial.
 */
function template(file: string, standIns: Record<string, string>, cache: boolean): ejs.TemplateFunction {
  const variant = `${file}#${Object.keys(standIns).join('#')}`
  const kept = cache ? compiled.get(variant) : undefined
  if (kept) return kept
  const fn = ejs.compile(String(ejs.fileLoader(file)), {
    filename: file,
    cache,
    // Both a file name and a template (EJS reads both; its types allow one): the file name
    // keeps the stand-in out of the cache entry of the real partial.
    includer: (_name, resolved) =>
      (resolved in standIns
        ? { filename: `${resolved}#kept`, template: standIns[resolved] }
        : { filename: resolved }) as ejs.IncluderResult,
  }) as ejs.TemplateFunction
  if (cache) compiled.set(variant, fn)
  return fn
}
