import { JOURNAL_TYPES, type JournalBase, type JournalType } from '../data/journal-types.js'
import { GET_OR_POST, pathParam, type GatewayContext, type GatewayRoute } from './context.js'
import { sendCode, sendJson, type Params } from './negotiate.js'

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

function isJournalType(value: string | undefined): value is JournalType {
  return JOURNAL_TYPES.includes(value as JournalType)
}

function toInt(value: string | undefined, fallback: number): number {
  const n = Number.parseInt(value ?? '', 10)
  return Number.isFinite(n) && n >= 0 ? n : fallback
}

function matches(entry: JournalBase & { dlr?: string | null }, p: Params): boolean {
  const day = entry.timestamp.slice(0, 10)
  if (p.id !== undefined && entry.id !== p.id) return false
  if (p.date_from !== undefined && day < p.date_from) return false
  if (p.date_to !== undefined && day > p.date_to) return false
  if (p.to !== undefined && !entry.to.includes(p.to.replace(/^\+/, ''))) return false
  if (p.state !== undefined && entry.dlr !== undefined && entry.dlr !== p.state.toUpperCase()) return false
  return true
}

/** Newest first; filters `id`, `date_from`, `date_to` (YYYY-MM-DD), `to`, `state`, `limit`, `offset`. */
function journal(ctx: GatewayContext, type: JournalType): void {
  const entries: ReadonlyArray<JournalBase & { dlr?: string | null }> = ctx.account.journals[type]
  const limit = Math.min(toInt(ctx.params.limit, DEFAULT_LIMIT), MAX_LIMIT)
  const offset = toInt(ctx.params.offset, 0)
  sendJson(ctx.res, entries.filter((e) => matches(e, ctx.params)).slice(offset, offset + limit))
}

/** Legacy `?type=` answers code 304 (missing type) or 400 (invalid type) like the old API. */
function legacyJournal(ctx: GatewayContext): void {
  const type = ctx.params.type
  if (type === undefined) return sendCode(ctx.res, 304, ctx.json)
  if (!isJournalType(type)) return sendCode(ctx.res, 400, ctx.json)
  journal(ctx, type)
}

export const journalRoutes: GatewayRoute[] = [
  { methods: GET_OR_POST, path: '/journal', scope: 'journal', handler: legacyJournal },
  {
    methods: ['get'],
    path: '/journal/:type',
    scope: 'journal',
    handler: (ctx) => {
      const type = pathParam(ctx, 'type')
      if (isJournalType(type)) journal(ctx, type)
      else ctx.res.status(404).type('text/plain').send('Not Found')
    },
  },
]
