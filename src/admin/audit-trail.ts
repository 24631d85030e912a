import type { Request } from 'express'
import { requireUser } from '../auth/current-user.js'
import type { AuditAction, AuditLog } from '../audit/audit-log.js'

/** Records what the signed-in admin just did, under their own name and tenant. */
export type RecordAdminAction = (
  req: Request,
  action: AuditAction,
  detail: string,
  accounts?: string[],
) => Promise<void>

export function adminAuditTrail(audit: AuditLog): RecordAdminAction {
  return (req, action, detail, accounts = []) => {
    const u = requireUser(req)
    return audit.record(u.tenantId, { actorId: u.id, actorEmail: u.email, action, detail, accounts })
  }
}
