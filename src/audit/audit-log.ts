import type { RedisClient } from '../redis/client.js'
import { auditKey } from '../redis/keys.js'

export type AuditAction =
  | 'support.view'
  | 'support.search'
  | 'support.refresh'
  | 'support.export'
  | 'support.connection_view'
  | 'support.connection_test'
  | 'support.reconnect_link_sent'
  | 'connection.reconnect_link_used'
  | 'admin.user_added'
  | 'admin.role_changed'
  | 'admin.user_removed'
  | 'admin.user_invited'
  | 'admin.invitation_cancelled'
  | 'admin.user_unlocked'
  | 'admin.credentials_changed'
  | 'admin.webhook_changed'
  | 'admin.webhook_removed'
  | 'admin.webhook_test_sent'
  | 'admin.webhook_retried'
  | 'admin.webhook_secret_rotated'
  | 'admin.webhook_resent'
  | 'admin.settings_changed'
  | 'admin.api_key_created'
  | 'admin.api_key_revoked'
  | 'admin.shared_disconnected'
  | 'admin.shared_access_granted'
  | 'admin.shared_access_removed'
  | 'admin.shared_limit_changed'
  | 'api.call'
  | 'message.sent'
  | 'shared.tool_used'
  | 'signin.two_step_enabled'
  | 'signin.two_step_disabled'
  | 'signin.two_step_passed'
  | 'signin.two_step_failed'
  | 'signin.recovery_code_used'
  | 'signin.password_refused_sso'
  | 'signin.sso_settings_changed'
  | 'signin.sso_signed_in'
  | 'signin.sso_person_created'
  | 'signin.sso_refused'
  | 'signin.session_ended'
  | 'mcp.call'

export interface AuditEntry {
  id: string
  at: number
  actorId: string
  actorEmail: string
  action: AuditAction
  detail: string
  accounts: string[]
}

const MAX_ENTRIES = 10_000

/** A capped Redis stream per tenant: who did what, when, to which accounts. */
export class AuditLog {
  constructor(private readonly redis: RedisClient) {}

  async record(tenantId: string, e: Omit<AuditEntry, 'id' | 'at'>): Promise<void> {
    await this.redis.xadd(
      auditKey(tenantId),
      'MAXLEN',
      '~',
      MAX_ENTRIES,
      '*',
      'at',
      String(Date.now()),
      'actorId',
      e.actorId,
      'actorEmail',
      e.actorEmail,
      'action',
      e.action,
      'detail',
      e.detail.slice(0, 500),
      'accounts',
      e.accounts.slice(0, 200).join(','),
    )
  }

  /** Newest first; `before` is the id of the last entry of the previous page. */
  async page(
    tenantId: string,
    count: number,
    before?: string,
  ): Promise<{ entries: AuditEntry[]; next?: string }> {
    const raw = await this.redis.xrevrange(
      auditKey(tenantId),
      before ? `(${before}` : '+',
      '-',
      'COUNT',
      count + 1,
    )
    const entries = raw.slice(0, count).map(([id, fields]) => {
      const f: Record<string, string> = {}
      for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!
      return {
        id,
        at: Number(f.at),
        actorId: f.actorId ?? '',
        actorEmail: f.actorEmail ?? '',
        action: f.action as AuditAction,
        detail: f.detail ?? '',
        accounts: f.accounts ? f.accounts.split(',') : [],
      }
    })
    return { entries, next: raw.length > count ? entries[entries.length - 1]?.id : undefined }
  }
}
