import { Router } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { parseInput } from '../http/validate.js'
import type { AuditLog } from '../audit/audit-log.js'
import { auditSentenceKey } from '../audit/audit-words.js'
import { tOf } from '../i18n/localize.js'

const AuditQuery = z.object({
  before: z
    .string()
    .regex(/^\d+-\d+$/)
    .optional(),
})
const PAGE_SIZE = 50

/** `/admin/audit`: the tenant's audit log, newest first, a page at a time. */
export function auditRoutes(audit: AuditLog): Router {
  const r = Router()

  r.get('/admin/audit', async (req, res) => {
    const { tenantId } = requireUser(req)
    const { before } = parseInput(AuditQuery, req.query)
    const page = await audit.page(tenantId, PAGE_SIZE, before)
    res.render('admin-audit', {
      title: tOf(req)('admin:audit.title'),
      entries: page.entries,
      next: page.next,
      // Each entry as a sentence in the reader's language; exports keep the codes.
      sentenceKey: auditSentenceKey,
    })
  })
  return r
}
