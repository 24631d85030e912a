import { isoDay } from '../data/prng.js'
import { liveUsage, seededUsage, type UsageRecord } from '../data/usage.js'
import { GET_OR_POST, pathParam, type GatewayContext, type GatewayRoute } from './context.js'
import { sendJson, type Params } from './negotiate.js'

const GROUPS = { date: 'date', label: 'label', subaccount: 'account', country: 'country' } as const
type Group = keyof typeof GROUPS

const DAY_MS = 86_400_000
const MAX_DAYS = 400

function parseDay(value: string | undefined): Date | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined
  const d = new Date(`${value}T00:00:00Z`)
  return Number.isNaN(d.getTime()) ? undefined : d
}

/** `start`/`end` inclusive; default the last 30 days up to today, as the charts need. */
function dateRange(params: Params): string[] {
  const today = parseDay(isoDay(new Date())) ?? new Date()
  const end = parseDay(params.end) ?? today
  let start = parseDay(params.start) ?? new Date(end.getTime() - 29 * DAY_MS)
  if (end.getTime() - start.getTime() > MAX_DAYS * DAY_MS) start = new Date(end.getTime() - MAX_DAYS * DAY_MS)
  const days: string[] = []
  for (let t = start.getTime(); t <= end.getTime(); t += DAY_MS) days.push(isoDay(new Date(t)))
  return days
}

/** `subaccounts`: only_main (default) | all | <id>; grouping by subaccount implies all. */
function accountFilter(ctx: GatewayContext, group: Group): (r: UsageRecord) => boolean {
  const main = String(ctx.account.profile.userId)
  const which = ctx.params.subaccounts ?? (group === 'subaccount' ? 'all' : 'only_main')
  if (which === 'all') return () => true
  if (which === 'only_main') return (r) => r.account === main
  return (r) => r.account === which
}

function sumRows(records: UsageRecord[], group: Group, keys: string[]) {
  const key = GROUPS[group]
  const rows = new Map(
    keys.map((k) => [k, { sms: 0, voice: 0, hlr: 0, mnp: 0, inbound: 0, rcs: 0, usage: 0 }]),
  )
  for (const r of records) {
    const k = r[key]
    const row = rows.get(k) ?? { sms: 0, voice: 0, hlr: 0, mnp: 0, inbound: 0, rcs: 0, usage: 0 }
    row.sms += r.sms
    row.voice += r.voice
    row.hlr += r.hlr
    row.mnp += r.mnp
    row.inbound += r.inbound
    row.usage += r.usage
    rows.set(k, row)
  }
  const sorted = [...rows].sort(([a], [b]) => a.localeCompare(b))
  return sorted.map(([k, { usage, ...counts }]) => ({ [key]: k, ...counts, usage_eur: usage / 10_000 }))
}

function analytics(ctx: GatewayContext, group: Group): void {
  const days = dateRange(ctx.params)
  const label = ctx.params.label
  const inAccount = accountFilter(ctx, group)
  const records = days
    .flatMap((d) => [...seededUsage(ctx.account, d), ...liveUsage(ctx.account, d)])
    .filter((r) => inAccount(r) && (label === undefined || label === 'all' || r.label === label))
  // Every day of the range gets a row (zeros included) so a chart has no gaps.
  sendJson(ctx.res, sumRows(records, group, group === 'date' ? days : []))
}

function isGroup(value: string | undefined): value is Group {
  return value !== undefined && Object.hasOwn(GROUPS, value)
}

/** Legacy `/analytics?group_by=` and current `/analytics/{date,label,subaccount,country}`. */
export const analyticsRoutes: GatewayRoute[] = [
  {
    methods: GET_OR_POST,
    path: '/analytics',
    scope: 'analytics',
    handler: (ctx) => analytics(ctx, isGroup(ctx.params.group_by) ? ctx.params.group_by : 'date'),
  },
  {
    methods: ['get'],
    path: '/analytics/:group',
    scope: 'analytics',
    handler: (ctx) => {
      const group = pathParam(ctx, 'group')
      if (isGroup(group)) analytics(ctx, group)
      else ctx.res.status(404).type('text/plain').send('Not Found')
    },
  },
]
