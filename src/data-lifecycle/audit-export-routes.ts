import { Router, type Response } from 'express'
import { requireRole, requireUser } from '../auth/current-user.js'
import type { AuditEntry, AuditLog } from '../audit/audit-log.js'

const PAGE = 500
const COLUMNS = ['id', 'at', 'actorId', 'actorEmail', 'action', 'detail', 'accounts', 'prev'] as const

/**
 * `/admin/audit/export.csv` and `.json`: the organisation's whole audit log, newest first,
 * streamed a page at a time; the export is itself recorded before its first row goes out.
 * Audit codes (`action`) are kept as they are.
 */
export function auditExportRoutes(audit: AuditLog): Router {
  const r = Router()
  r.get('/admin/audit/export.:format', requireRole('admin'), async (req, res, next) => {
    const format = req.params.format
    if (format !== 'csv' && format !== 'json') return next()
    const user = requireUser(req)
    await audit.record(user.tenantId, {
      actorId: user.id,
      actorEmail: user.email,
      action: 'admin.audit_exported',
      detail: `audit log exported as ${format.toUpperCase()}`,
      accounts: [],
    })
    res.set('content-disposition', `attachment; filename="audit-${user.tenantId}.${format}"`)
    res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json')
    let first = true
    res.write(format === 'csv' ? `${COLUMNS.join(',')}\n` : '[\n')
    let before: string | undefined
    do {
      const page = await audit.page(user.tenantId, PAGE, before)
      for (const e of page.entries) {
        await write(res, format === 'csv' ? csvRow(e) : `${first ? '' : ',\n'}${JSON.stringify(jsonOf(e))}`)
        first = false
      }
      before = page.next
    } while (before)
    res.end(format === 'csv' ? '' : '\n]\n')
  })
  return r
}

const jsonOf = (e: AuditEntry) => ({ ...e, at: new Date(e.at).toISOString(), prev: e.prev ?? null })

function csvRow(e: AuditEntry): string {
  const v = jsonOf(e)
  const cells = COLUMNS.map((c) => {
    const raw = c === 'accounts' ? v.accounts.join(' ') : String(v[c] ?? '')
    // A cell a spreadsheet would run as a formula starts with a quote instead.
    const safe = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
  })
  return `${cells.join(',')}\n`
}

/** Waits for the socket when its buffer is full, so a large log streams without piling up. */
function write(res: Response, chunk: string): Promise<void> {
  return res.write(chunk) ? Promise.resolve() : new Promise((resolve) => res.once('drain', () => resolve()))
}
