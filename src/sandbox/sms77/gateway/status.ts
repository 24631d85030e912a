import type { OutboundEntry } from '../data/journal-types.js'
import { GET_OR_POST, type GatewayContext, type GatewayRoute } from './context.js'
import { listParam, sendCode, sendJson, sendText } from './negotiate.js'

// A message filed before its report arrived reads as TRANSMITTED, not as an empty status.
function report(entry: OutboundEntry): { status: string; time: string | null } {
  const time = entry.dlr_timestamp ? `${entry.dlr_timestamp}.000` : null
  return { status: entry.dlr ?? 'TRANSMITTED', time }
}

/**
 * `?msg_id=ID` answers the legacy two lines `DELIVERED\n2020-01-09 15:41:30.000` unless JSON
 * is negotiated; several comma-separated ids, or JSON, answer
 * `[{"id","status","status_time","statusTime"}]` (`statusTime` too because R1 types it so).
 * Ids the account never sent read `UNKNOWN`; if none is known the answer is code 901.
 */
function status(ctx: GatewayContext): void {
  const ids = listParam(ctx.params.msg_id)
  const byId = new Map(ctx.account.journals.outbound.map((e) => [e.id, e]))
  const known = ids.filter((id) => byId.has(id))
  if (known.length === 0) return sendCode(ctx.res, 901, ctx.json)
  const rows = ids.map((id) => {
    const entry = byId.get(id)
    const r = entry ? report(entry) : { status: 'UNKNOWN', time: null }
    return { id, status: r.status, status_time: r.time, statusTime: r.time }
  })
  const first = rows[0]
  if (!ctx.json && rows.length === 1 && first)
    return sendText(ctx.res, `${first.status}\n${first.status_time ?? ''}`)
  sendJson(ctx.res, rows)
}

export const statusRoutes: GatewayRoute[] = [
  { methods: GET_OR_POST, path: '/status', scope: 'status', handler: status },
]
