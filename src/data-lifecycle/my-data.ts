import type { AuditEntry, AuditLog } from '../audit/audit-log.js'
import type { User } from '../auth/user-store.js'
import type { ConnectionStore } from '../connections/connection-store.js'
import type { MessageSender, SentMessage } from '../connections/message-sender.js'
import { refOf } from '../connections/member.js'
import type { TenantStore } from '../tenants/tenant-store.js'

/** Deps of "Download my data" (GDPR art. 15 and 20). */
export interface MyDataDeps {
  tenants: TenantStore
  store: ConnectionStore
  sender: MessageSender
  audit: AuditLog
}

const MAX_MEMBERS = 100_000
const MAX_MESSAGES = 10_000
const MAX_AUDIT = 10_000

/**
 * Everything about one person, as `docs/my-data.md` documents it: profile, their
 * connections (never tokens), the messages they sent (through any connection of their
 * organisation) and the audit entries about them (by them, or naming their email).
 */
export async function myData(deps: MyDataDeps, user: User) {
  const tenant = await deps.tenants.get(user.tenantId)
  const { members } = await deps.store.listMembers(user.tenantId, { offset: 0, count: MAX_MEMBERS })
  const connections = []
  const messagesSent: (SentMessage & { connection: string })[] = []
  for (const member of members) {
    const ref = refOf(user.tenantId, member)
    if (ref.userId === user.id) {
      const r = await deps.store.get(ref).catch(() => null)
      if (r)
        connections.push({
          provider: ref.provider,
          name: r.name ?? null,
          status: r.status,
          statusReason: r.statusReason ?? null,
          accountId: r.grant.accountId,
          accountLabel: r.grant.accountLabel,
          scopes: r.grant.scopes,
          createdAt: iso(r.createdAt),
          checkedAt: iso(r.checkedAt),
        })
    }
    const page = await deps.sender.list(ref, { count: MAX_MESSAGES })
    for (const m of page.messages)
      if (m.senderKind === 'person' && m.sentBy === user.email)
        messagesSent.push({ ...m, connection: member })
  }
  const audit: AuditEntry[] = []
  let before: string | undefined
  do {
    const page = await deps.audit.page(user.tenantId, 500, before)
    audit.push(...page.entries.filter((e) => e.actorId === user.id || mentions(e, user.email)))
    before = page.next
  } while (before && audit.length < MAX_AUDIT)
  return {
    format: 'switchboard.my-data.v1',
    exportedAt: new Date().toISOString(),
    profile: {
      id: user.id,
      email: user.email,
      role: user.role,
      organisation: { id: user.tenantId, name: tenant?.name ?? '' },
      createdAt: iso(user.createdAt),
      language: user.language ?? null,
      timeZone: user.timeZone ?? null,
    },
    connections,
    messagesSent: messagesSent.map((m) => ({ ...m, at: iso(m.at) })),
    auditEntries: audit.map((e) => ({ ...e, at: iso(e.at) })),
  }
}

const iso = (ms: number) => new Date(ms).toISOString()
const mentions = (e: AuditEntry, email: string) =>
  e.actorEmail === email || e.accounts.includes(email) || e.detail.includes(email)
