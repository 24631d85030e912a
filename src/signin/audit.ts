import type { Request } from 'express'
import type { AuditAction } from '../audit/audit-log.js'
import type { User } from '../auth/user-store.js'

/** The staff sign-in events the audit log records. */
export type SignInEvent = Extract<AuditAction, `signin.${string}`>

/** Where the events go: the tenant's audit log (structurally; it lives in another room). */
export interface SignInAuditLog {
  record(
    tenantId: string,
    e: { actorId: string; actorEmail: string; action: SignInEvent; detail: string; accounts: string[] },
  ): Promise<void>
}

/** Records an event of `user`'s, with the client network in the detail (never a code or secret). */
export function auditOf(log: SignInAuditLog) {
  return (req: Request, user: Pick<User, 'id' | 'email' | 'tenantId'>, action: SignInEvent, detail = '') =>
    log.record(user.tenantId, {
      actorId: user.id,
      actorEmail: user.email,
      action,
      detail: [detail, `from ${req.ip ?? 'unknown'}`].filter(Boolean).join(' '),
      accounts: [],
    })
}
export type Audit = ReturnType<typeof auditOf>
