import path from 'node:path'
import ejs from 'ejs'
import { VIEWS_DIR } from '../config/paths.js'
import type { CardModel } from './dashboard-service.js'

const PAGE = path.join(VIEWS_DIR, 'dashboard.ejs')
const CARD = path.join(VIEWS_DIR, 'partials', 'card.ejs')

/** Everything the dashboard's templates read besides the cards. */
export type PageLocals = Record<string, unknown>

/** A card and its HTML, rendered alone or kept. */
export interface CardHtml {
  card: CardModel
  html: string
}

/** A card rendered alone: the same template and data as the page's own include of it. */
export function renderCard(locals: PageLocals, card: CardModel, cache: boolean): Promise<string> {
  return ejs.renderFile(CARD, { ...locals, card }, { cache })
}

/**
 * The page from HTML its cards already have: the views stay as they are, and the page's
 * include of the card partial is answered with the card's HTML. Compiled once here (in
 * production) and never put in EJS's own cache, so the normal render of the page never
 * meets this version of it.
 */
export function renderPage(locals: PageLocals, cards: CardHtml[], cache: boolean): string {
  const page = cache ? (compiled ??= compilePage(true)) : compilePage(false)
  return page({ ...locals, cards: cards.map((c) => ({ ...c.card, keptHtml: c.html })) })
}

let compiled: ejs.TemplateFunction | undefined

function compilePage(cache: boolean): ejs.TemplateFunction {
  return ejs.compile(String(ejs.fileLoader(PAGE)), {
    filename: PAGE,
    cache,
    // Both a file name and a template (EJS reads both; its types allow one): the file name
    // keeps the stand-in out of the cache entry of the real card partial.
    includer: (_name, resolved) =>
      (resolved === CARD
        ? { filename: `${CARD}#kept`, template: '<%- card.keptHtml %>' }
        : { filename: resolved }) as ejs.IncluderResult,
  }) as ejs.TemplateFunction
}
