import { Router, type Request } from 'express'
import { z } from 'zod'
import { requireRole, requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { parseInput } from '../http/validate.js'
import { tOf } from '../i18n/localize.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { ConnectionStore } from '../connections/connection-store.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { BalanceReader } from './balance-reader.js'
import { csvLine } from './csv.js'
import type { SupportIndex } from './support-index.js'
import { DEFAULT_LOW_BALANCE, type TenantStore } from '../tenants/tenant-store.js'
import type { BalanceHistory } from '../balances/balance-history.js'
import { runOutDays, trendOf, TREND_DAYS, type Trend } from '../balances/trend.js'
import { connectionPageRoutes, type ConnectionPageDeps } from './connection-page.js'

export const PAGE_SIZE = 50
const READ_DEADLINE_MS = 3_000

const ListQuery = z.object({
  q: z.string().trim().max(100).optional().default(''),
  sort: z.enum(['recent', 'balance_asc', 'balance_desc', 'email']).optional().default('recent'),
  page: z.coerce.number().int().min(1).max(100_000).optional().default(1),
})

const RefreshForm = ListQuery.extend({
  member: z.string().regex(/^[a-f0-9]{24}:(sms77|nexmo)$/, 'unknown account'),
})

export interface SupportDeps {
  connections: ConnectionStore
  index: SupportIndex
  reader: BalanceReader
  audit: AuditLog
  providers: ProviderRegistry
  tenants: TenantStore
  /** Each row's trend (sparkline, run-out estimate) comes from here when given. */
  history?: BalanceHistory
  /** `/support/connections/:id`: events, Test connection, Send reconnect link. */
  connectionPage?: ConnectionPageDeps
}

function listUrl(q: { q: string; sort: string; page: number }): string {
  return `/support?${new URLSearchParams({ q: q.q, sort: q.sort, page: String(q.page) })}`
}

/** Support staff (and admins): every account of their own tenant, read-only, every look audited. */
export function supportRoutes(deps: SupportDeps): Router {
  const r = Router()
  r.use('/support', requireRole('support', 'admin'))
  if (deps.connectionPage) r.use(connectionPageRoutes(deps.connectionPage))

  const audit = (
    req: Request,
    action: Parameters<AuditLog['record']>[1]['action'],
    detail: string,
    accounts: string[],
  ) => {
    const user = requireUser(req)
    return deps.audit.record(user.tenantId, {
      actorId: user.id,
      actorEmail: user.email,
      action,
      detail,
      accounts,
    })
  }

  r.get('/support', async (req, res) => {
    const user = requireUser(req)
    const query = parseInput(ListQuery, req.query)
    const offset = (query.page - 1) * PAGE_SIZE
    const page = await deps.index.page(user.tenantId, {
      search: query.q || undefined,
      sort: query.sort,
      offset,
      limit: PAGE_SIZE,
    })
    let rows = await deps.index.rows(user.tenantId, page.members)
    const stale = rows.filter((row) => deps.reader.isStale(row))
    if (stale.length) {
      await deps.reader.readRows(user.tenantId, stale, READ_DEADLINE_MS)
      rows = await deps.index.rows(user.tenantId, page.members)
    }
    await audit(
      req,
      query.q ? 'support.search' : 'support.view',
      query.q ? `search "${query.q}" page ${query.page}` : `page ${query.page} sorted ${query.sort}`,
      page.members,
    )
    const tenant = await deps.tenants.get(user.tenantId)
    const trends: Record<string, Trend | null> = {}
    const refs = rows.map((row) => ({ tenantId: user.tenantId, userId: row.userId, provider: row.provider }))
    const since = Date.now() - TREND_DAYS * 86_400_000
    const series = (await deps.history?.many(refs, since)) ?? []
    series.forEach((s, i) => (trends[rows[i]!.member] = trendOf(s)))
    res.render('support', {
      title: tOf(req)('support:title'),
      lowBalance: tenant?.lowBalanceThreshold ?? DEFAULT_LOW_BALANCE,
      rows,
      trends,
      runOutDays,
      query,
      total: page.total,
      pages: Math.max(1, Math.ceil(page.total / PAGE_SIZE)),
      pageSize: PAGE_SIZE,
      stillReading: rows.filter((row) => deps.reader.isStale(row)).length,
      listUrl,
      labelOf: (id: string) => deps.providers.parse(id).label,
    })
  })

  r.post('/support/refresh', async (req, res) => {
    const user = requireUser(req)
    const form = parseInput(RefreshForm, req.body)
    const [row] = await deps.index.rows(user.tenantId, [form.member])
    if (!row) {
      flash(req, 'error', tOf(req)('support:gone'))
    } else {
      await deps.reader.read(user.tenantId, row, true)
      await audit(req, 'support.refresh', `refreshed ${row.email} ${row.provider}`, [form.member])
      const [after] = await deps.index.rows(user.tenantId, [form.member])
      const provider = deps.providers.parse(row.provider).label
      const t = tOf(req)
      // Only a read that worked is "read again"; a failed one says so and what is still shown.
      if (after?.entry.error)
        flash(req, 'error', t('support:readFailed', { email: row.email, provider, error: after.entry.error }))
      else flash(req, 'info', t('support:readAgain', { email: row.email, provider }))
    }
    res.redirect(303, listUrl(form))
  })

  r.get('/support/export.csv', async (req, res) => {
    const user = requireUser(req)
    res.type('text/csv; charset=utf-8').attachment(`switchboard-${user.tenantId}-accounts.csv`)
    res.write(
      csvLine([
        'email',
        'provider',
        'status',
        'account',
        'company',
        'balance',
        'currency',
        'balance_read_at',
        'error',
        'connected_at',
      ]),
    )
    let exported = 0
    // In batches straight from the indexes: the whole tenant is never held in memory.
    for (let offset = 0; ; offset += 500) {
      const { members } = await deps.connections.listMembers(user.tenantId, { offset, count: 500 })
      if (members.length === 0) break
      for (const row of await deps.index.rows(user.tenantId, members)) {
        const e = row.entry
        res.write(
          csvLine([
            row.email,
            row.provider,
            row.status,
            row.accountLabel,
            e.company,
            e.balance?.amount,
            e.balance?.currency,
            e.readAt ? new Date(e.readAt).toISOString() : '',
            e.error,
            new Date(row.connectedAt).toISOString(),
          ]),
        )
        exported++
      }
    }
    await audit(req, 'support.export', `exported ${exported} accounts as CSV`, [])
    res.end()
  })
  return r
}
