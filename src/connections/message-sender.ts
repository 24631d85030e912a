import type { AuditLog } from '../audit/audit-log.js'
import { AppError, ForbiddenError, NotFoundError } from '../errors/app-error.js'
import type { TenantCiphers } from '../crypto/tenant-ciphers.js'
import type { RedisClient } from '../redis/client.js'
import { connectionKey, dailyPartsKey, sentMessagesKey, sharedAccessKey } from '../redis/keys.js'
import { splitSms } from '../providers/sms-encoding.js'
import type { Money, SmsMessage, SmsResult } from '../providers/types.js'
import { memberOf } from './member.js'
import type { ConnectionLifecycle } from './lifecycle.js'
import { isShared } from './owner.js'
import { decodeRecord, storedSecrets, type ConnectionRecord, type ConnectionRef } from './record.js'
import { RELEASE, RESERVE } from './send-scripts.js'
import { fieldsOf } from './store-scripts.js'

/** Who sends: a person (by email) or an API key (by name); an MCP send is its key's. */
export type Sender =
  | { kind: 'person'; userId: string; email: string; admin: boolean }
  | { kind: 'api_key'; keyId: string; name: string }

export interface SentMessage {
  id: string
  at: number
  sentBy: string
  senderKind: Sender['kind']
  to: string
  parts: number
  cost: Money | null
  messageId: string
}

export interface SendOutcome {
  result: SmsResult
  parts: number
  sentBy: string
  /** The sent message's id in the connection's list. */
  id: string
}

const MAX_SENT = 10_000
/** A day's counter outlives its day (UTC) a little, then goes by itself. */
const DAY_TTL_SEC = 2 * 86_400

const sentByOf = (s: Sender) => (s.kind === 'person' ? s.email : s.name)
const userIdOf = (s: Sender) => (s.kind === 'person' ? s.userId : '')

/** `+49•••••4567`: enough to tell messages apart in a list, not the number. */
export function maskNumber(to: string): string {
  if (to.length <= 6) return '•'.repeat(to.length)
  return `${to.slice(0, 3)}${'•'.repeat(to.length - 7)}${to.slice(-4)}`
}

export function dayOf(at: number): string {
  return new Date(at).toISOString().slice(0, 10)
}

export function dailyLimitReached(): AppError {
  return new AppError('daily_limit_reached', 'Daily limit reached', { status: 429, expose: true })
}

/**
 * The one send path of every SMS (dashboard, API, MCP): through a shared connection the
 * parts are first reserved against the person's and the organisation's daily limits in one
 * script (which also reads the record, so the send costs no second read), given back when
 * the provider refuses; every send is then recorded with who made it, in the connection's
 * list (one MULTI with the day's correction) and through the audit log's one writer.
 */
export class MessageSender {
  constructor(
    private readonly deps: {
      redis: RedisClient
      ciphers: TenantCiphers
      lifecycle: ConnectionLifecycle
      /** The one audit writer (it chains entries); a send is never written around it. */
      audit: Pick<AuditLog, 'record'>
      now?: () => number
    },
  ) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now()
  }

  async send(ref: ConnectionRef, sender: Sender, message: SmsMessage): Promise<SendOutcome> {
    const parts = splitSms(message.text).parts
    const day = dayOf(this.now())
    const known = isShared(ref) ? await this.reserve(ref, sender, parts, day) : undefined
    let result: SmsResult
    try {
      result = await this.deps.lifecycle.sendSms(ref, message, known)
    } catch (err) {
      if (known) await this.release(ref, sender, parts, day)
      throw err
    }
    const sent = { parts: result.parts ?? parts, result }
    const id = await this.record(ref, sender, message.to, sent, known ? parts : undefined, day)
    return { result, parts: sent.parts, sentBy: sentByOf(sender), id }
  }

  /** A page of the connection's sent messages, newest first; `cursor` is the last id seen. */
  async list(
    ref: ConnectionRef,
    page: { cursor?: string; count: number },
  ): Promise<{ messages: SentMessage[]; next: string | null }> {
    const key = sentMessagesKey(ref.tenantId, memberOf(ref))
    const end = page.cursor ? `(${page.cursor}` : '+'
    const rows = await this.deps.redis.xrevrange(key, end, '-', 'COUNT', page.count + 1)
    const messages = rows.slice(0, page.count).map(([id, flat]) => toSent(id, fieldsOf(flat)))
    return { messages, next: rows.length > page.count ? messages[messages.length - 1]!.id : null }
  }

  private async reserve(ref: ConnectionRef, sender: Sender, parts: number, day: string) {
    const member = memberOf(ref)
    const keys = [sharedAccessKey(ref.tenantId), dailyPartsKey(ref.tenantId, member, day), connectionKey(ref)]
    const admin = sender.kind === 'person' && sender.admin ? '1' : '0'
    const args = [ref.provider, userIdOf(sender), admin, String(parts), String(DAY_TTL_SEC)]
    const [outcome, ...flat] = (await this.deps.redis.eval(RESERVE, 3, ...keys, ...args)) as string[]
    if (outcome === 'not_found' || outcome === 'no_access')
      throw new NotFoundError('This account is not connected.')
    if (outcome === 'may_not_send') throw new ForbiddenError('You may not send through this connection.')
    if (outcome !== 'ok') throw dailyLimitReached()
    const h = fieldsOf(flat)
    const sealer = await this.deps.ciphers.forTenant(ref.tenantId, storedSecrets(h))
    return decodeRecord(sealer, ref, connectionKey(ref), h) as ConnectionRecord
  }

  private async release(ref: ConnectionRef, sender: Sender, parts: number, day: string): Promise<void> {
    const key = dailyPartsKey(ref.tenantId, memberOf(ref), day)
    await this.deps.redis.eval(RELEASE, 1, key, userIdOf(sender), String(parts))
  }

  /** The list entry (with the day's correction) in one MULTI, then the audit entry; returns the entry id. */
  private async record(
    ref: ConnectionRef,
    sender: Sender,
    to: string,
    sent: { parts: number; result: SmsResult },
    reserved: number | undefined,
    day: string,
  ): Promise<string> {
    const member = memberOf(ref)
    const cost = sent.result.price
    const m = this.deps.redis.multi()
    m.xadd(
      sentMessagesKey(ref.tenantId, member),
      'MAXLEN',
      '~',
      MAX_SENT,
      '*',
      ...[
        ...['at', String(this.now()), 'by', sentByOf(sender), 'kind', sender.kind, 'to', to],
        ...['parts', String(sent.parts), 'messageId', sent.result.messageId],
        ...(cost ? ['amount', String(cost.amount), 'currency', cost.currency] : []),
      ],
    )
    // The provider counted otherwise than we did: the day's count follows what was sent.
    if (reserved !== undefined && reserved !== sent.parts) {
      const delta = sent.parts - reserved
      const dayKey = dailyPartsKey(ref.tenantId, member, day)
      m.hincrby(dayKey, 'total', delta)
      if (sender.kind === 'person') m.hincrby(dayKey, `p:${sender.userId}`, delta)
    }
    const results = (await m.exec()) ?? []
    const actorId = sender.kind === 'person' ? sender.userId : `api-key:${sender.keyId}`
    const detail = `sent ${sent.parts} SMS part(s) to ${maskNumber(to)} through ${ref.provider}${isShared(ref) ? ' (shared)' : ''}`
    await this.deps.audit.record(ref.tenantId, {
      ...{ actorId, actorEmail: sentByOf(sender), action: 'message.sent', detail, accounts: [member] },
    })
    return String(results[0]?.[1] ?? '')
  }
}

function toSent(id: string, h: Record<string, string>): SentMessage {
  return {
    id,
    at: Number(h.at),
    sentBy: h.by ?? '',
    senderKind: h.kind === 'api_key' ? 'api_key' : 'person',
    to: h.to ?? '',
    parts: Number(h.parts) || 0,
    cost: h.amount && h.currency ? { amount: Number(h.amount), currency: h.currency } : null,
    messageId: h.messageId ?? '',
  }
}
