import type { RedisClient } from '../redis/client.js'
import { auditKey } from '../redis/keys.js'
import { auditHeadKey } from '../redis/data-keys.js'
import { APPEND_MANY, checkChain, entryHash, type ChainCheck } from './audit-chain.js'

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
/** At most this many entries in one append. */
const BATCH = 200

interface Waiting {
  fields: Record<string, string>
  resolve(): void
  reject(err: unknown): void
}

/** The stored fields of an entry, `prev` aside (set when its place in the chain is known). */
function storedFields(e: Omit<AuditEntry, 'id' | 'at' | 'prev'>, at: number): Record<string, string> {
  return {
    at: String(at),
    actorId: e.actorId,
    actorEmail: e.actorEmail,
    action: e.action,
    detail: e.detail.slice(0, 500),
    accounts: e.accounts.slice(0, 200).join(','),
  }
}

/** A capped Redis stream per tenant: who did what, when, to which accounts. */
export class AuditLog {
  /** Entries waiting for this instance's append to their organisation's chain. */
  private readonly waiting = new Map<string, Waiting[]>()

  constructor(private readonly redis: RedisClient) {}

  /**
   * Appends the entry to the organisation's chain. One append at a time per organisation on
   * this instance (parallel ones would only race for the chain's head and retry), and the
   * entries that arrive meanwhile go together in the next one: an API client's burst is
   * written as fast as it comes, never queued in memory. Other instances may still race; the
   * append script keeps the chain whole.
   */
  record(tenantId: string, e: Omit<AuditEntry, 'id' | 'at' | 'prev'>, at = Date.now()): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.waiting.get(tenantId)
      const entry = { fields: storedFields(e, at), resolve, reject }
      if (queue) return void queue.push(entry)
      this.waiting.set(tenantId, [entry])
      void this.drain(tenantId)
    })
  }

  /** Writes what waits for this organisation, a batch at a time, until nothing does. */
  private async drain(tenantId: string): Promise<void> {
    for (;;) {
      const queue = this.waiting.get(tenantId)!
      const batch = queue.splice(0, BATCH)
      if (batch.length === 0) return void this.waiting.delete(tenantId)
      try {
        await this.append(
          tenantId,
          batch.map((b) => b.fields),
        )
        for (const b of batch) b.resolve()
      } catch (err) {
        for (const b of batch) b.reject(err)
      }
    }
  }

  /** Appends entries, in order, to the organisation's chain (audit-chain.ts), retrying while others append. */
  private async append(tenantId: string, entries: Array<Record<string, string>>): Promise<void> {
    const keys = [auditKey(tenantId), auditHeadKey(tenantId)]
    for (let attempt = 0; attempt < 50; attempt++) {
      const head = (await this.redis.hget(keys[1]!, 'hash')) ?? ''
      const args = [head, String(MAX_ENTRIES)]
      let prev = head
      for (const e of entries) {
        const fields = { ...e, prev }
        prev = entryHash(fields)
        const pairs = Object.entries(fields).flat()
        args.push(prev, String(pairs.length), ...pairs)
      }
      if (await this.redis.eval(APPEND_MANY, 2, ...keys, ...args)) return
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
