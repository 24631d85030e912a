import type { RedisClient } from '../redis/client.js'
import { auditKey } from '../redis/keys.js'
import { auditHeadKey } from '../redis/data-keys.js'
import { APPEND, checkChain, entryHash, type ChainCheck } from './audit-chain.js'

/** Every action the audit log records; each has a sentence for people (audit-words.ts). */
export const AUDIT_ACTIONS = [
  'support.view',
  'support.search',
  'support.refresh',
  'support.export',
  'support.connection_view',
  'support.connection_test',
  'support.reconnect_link_sent',
  'connection.reconnect_link_used',
  'admin.user_added',
  'admin.role_changed',
  'admin.user_removed',
  'admin.user_invited',
  'admin.invitation_cancelled',
  'admin.user_unlocked',
  'admin.credentials_changed',
  'admin.webhook_changed',
  'admin.webhook_removed',
  'admin.webhook_test_sent',
  'admin.webhook_retried',
  'admin.webhook_secret_rotated',
  'admin.webhook_resent',
  'admin.settings_changed',
  'admin.api_key_created',
  'admin.api_key_revoked',
  'admin.shared_disconnected',
  'admin.shared_access_granted',
  'admin.shared_access_removed',
  'admin.shared_limit_changed',
  'api.call',
  'message.sent',
  'shared.tool_used',
  'signin.two_step_enabled',
  'signin.two_step_disabled',
  'signin.two_step_passed',
  'signin.two_step_failed',
  'signin.recovery_code_used',
  'signin.password_refused_sso',
  'signin.sso_settings_changed',
  'signin.sso_signed_in',
  'signin.sso_person_created',
  'signin.sso_refused',
  'signin.session_ended',
  'signin.sso_reauth_refused',
  'account.deleted',
  'mcp.call',
  'admin.audit_exported',
] as const

export type AuditAction = (typeof AUDIT_ACTIONS)[number]

export interface AuditEntry {
  id: string
  at: number
  actorId: string
  actorEmail: string
  action: AuditAction
  detail: string
  accounts: string[]
  /** SHA-256 of the organisation's previous entry (the chain); absent on entries from before it. */
  prev?: string
}

const MAX_ENTRIES = 10_000

/** A capped Redis stream per tenant: who did what, when, to which accounts. */
export class AuditLog {
  private readonly tails = new Map<string, Promise<void>>()

  constructor(private readonly redis: RedisClient) {}

  /**
   * Appends the entry to the organisation's chain, one append at a time per organisation on
   * this instance: parallel appends (an API client's burst) would only race for the chain's
   * head and retry. Other instances may still race; the append script keeps the chain whole.
   */
  record(tenantId: string, e: Omit<AuditEntry, 'id' | 'at' | 'prev'>, at = Date.now()): Promise<void> {
    const mine = (this.tails.get(tenantId) ?? Promise.resolve()).then(() => this.append(tenantId, e, at))
    const tail = mine.catch(() => undefined)
    this.tails.set(tenantId, tail)
    void tail.then(() => this.tails.get(tenantId) === tail && this.tails.delete(tenantId))
    return mine
  }

  /** Appends the entry to the organisation's chain (audit-chain.ts), retrying while others append. */
  private async append(
    tenantId: string,
    e: Omit<AuditEntry, 'id' | 'at' | 'prev'>,
    at: number,
  ): Promise<void> {
    const keys = [auditKey(tenantId), auditHeadKey(tenantId)]
    for (let attempt = 0; attempt < 50; attempt++) {
      const prev = (await this.redis.hget(keys[1]!, 'hash')) ?? ''
      const fields: Record<string, string> = {
        at: String(at),
        actorId: e.actorId,
        actorEmail: e.actorEmail,
        action: e.action,
        detail: e.detail.slice(0, 500),
        accounts: e.accounts.slice(0, 200).join(','),
        prev,
      }
      const args = [prev, entryHash(fields), String(MAX_ENTRIES), ...Object.entries(fields).flat()]
      if (await this.redis.eval(APPEND, 2, ...keys, ...args)) return
    }
    throw new Error('audit entry not appended: the chain kept moving')
  }

  /** Checks the organisation's whole chain (operator command `verify-audit`). */
  async verify(tenantId: string): Promise<ChainCheck> {
    const raw = await this.redis.xrange(auditKey(tenantId), '-', '+')
    const head = await this.redis.hgetall(auditHeadKey(tenantId))
    return checkChain(
      raw.map(([id, flat]) => [id, fieldsOf(flat)]),
      head,
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
      const f = fieldsOf(fields)
      return {
        id,
        at: Number(f.at),
        actorId: f.actorId ?? '',
        actorEmail: f.actorEmail ?? '',
        action: f.action as AuditAction,
        detail: f.detail ?? '',
        accounts: f.accounts ? f.accounts.split(',') : [],
        ...(f.prev !== undefined ? { prev: f.prev } : {}),
      }
    })
    return { entries, next: raw.length > count ? entries[entries.length - 1]?.id : undefined }
  }
}

function fieldsOf(flat: string[]): Record<string, string> {
  const f: Record<string, string> = {}
  for (let i = 0; i < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!
  return f
}
