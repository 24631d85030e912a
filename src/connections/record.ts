import { AppError } from '../errors/app-error.js'
import type { Sealer } from '../crypto/data-key-cipher.js'
import { type Grant, type ProviderId, type Secrets } from '../providers/types.js'
import { STATUS_REASONS, type StatusReason } from '../providers/status.js'

/** A connection record as the store keeps it; see connection-store.ts for how it is written. */
export type ConnectionStatus = 'connected' | 'degraded' | 'needs_reconnect'

/**
 * A connection's back-off after passing failures (health.ts): no provider call before
 * `until` (epoch ms); `step` counts the failures in a row (30 s, then doubling).
 */
export interface Backoff {
  step: number
  until: number
}

export interface ConnectionRef {
  tenantId: string
  userId: string
  provider: ProviderId
}

/** Which OAuth client issued a grant: the operator's default, or a tenant's own by version. */
export type ClientRef = 'default' | `tenant:${string}`
export const DEFAULT_CLIENT: ClientRef = 'default'

export interface ConnectionRecord {
  ref: ConnectionRef
  status: ConnectionStatus
  grant: Grant
  createdAt: number
  updatedAt: number
  /** Changes on every connect and reconnect; a write that read another one is fenced off. */
  generation: string
  /** Absent on records from before clients were recorded: those use the tenant's current client. */
  client?: ClientRef
  /** Epoch ms the grant was last obtained or checked at the provider (keep-alive). */
  checkedAt: number
  /** Why the connection is not `connected`, from the closed list; absent when it is. */
  statusReason?: StatusReason
  /** Present while passing failures keep the provider from being called (degraded). */
  backoff?: Backoff
  /** The owner's own name for it (≤ 60 characters), shown instead of the account's id. */
  name?: string
}

/** What the support console lists of a connection, read without decrypting anything. */
export interface ConnectionSummary {
  status: ConnectionStatus
  statusReason?: StatusReason
  accountLabel: string
  createdAt: number
  name?: string
}

/**
 * The secrets blob is stored in hash fields of at most 64 bytes: Redis keeps a hash whose
 * values all fit (hash-max-listpack-value) in its compact listpack encoding, and one
 * 150-byte blob would turn the whole record into a hashtable of twice the size. Records from
 * before hold the whole blob in `secrets`, which still reads. The last field takes any rest.
 */
export const SECRET_FIELDS = ['secrets', 'secrets2', 'secrets3', 'secrets4', 'secrets5', 'secrets6']
const SECRET_CHUNK = 64

/** The blob as field/value pairs; unused fields are '' (the store's scripts delete those). */
export function secretFields(blob: string): Record<string, string> {
  const last = SECRET_FIELDS.length - 1
  return Object.fromEntries(
    SECRET_FIELDS.map((f, i) => [
      f,
      blob.slice(i * SECRET_CHUNK, i === last ? undefined : (i + 1) * SECRET_CHUNK),
    ]),
  )
}

/** The whole secrets blob of a stored hash (its `secrets` fields joined). */
export function storedSecrets(h: Record<string, string | null | undefined>): string {
  return SECRET_FIELDS.map((f) => h[f] ?? '').join('')
}

/** A stored connection hash as a record; null when there is none, `decrypt_failed` when unreadable. */
export function decodeRecord(
  cipher: Sealer,
  ref: ConnectionRef,
  key: string,
  h: Record<string, string>,
): ConnectionRecord | null {
  if (!h.secrets) return null
  const secrets = readSecrets(cipher.decrypt(storedSecrets(h), key))
  const status = statusOf(h.status ?? '')
  const backoff = backoffOf(h)
  return {
    ref,
    status,
    statusReason: reasonOf(status, h.statusReason),
    ...(backoff ? { backoff } : {}),
    name: h.name || undefined,
    createdAt: epochMs(h.createdAt),
    updatedAt: epochMs(h.updatedAt),
    // Records from before fencing have no generation: '' still fences (any write replaces it).
    generation: h.generation ?? '',
    client: (h.client as ClientRef | undefined) || undefined,
    checkedAt: epochMs(h.checkedAt ?? h.obtainedAt),
    grant: {
      secrets,
      // An unreadable expiry counts as expired: the next use refreshes instead of trusting it.
      expiresAt: h.expiresAt ? epochMs(h.expiresAt) : undefined,
      obtainedAt: epochMs(h.obtainedAt),
      scopes: h.scopes ? h.scopes.split(' ').filter(Boolean) : [],
      accountId: h.accountId ?? '',
      accountLabel: h.accountLabel ?? '',
    },
  }
}

/** A summary from its stored fields (status, label, created, name, reason); null when there is none. */
export function summaryOf(f: (string | null | undefined)[]): ConnectionSummary | null {
  const [stored, label, createdAt, name, reason] = f
  if (!stored) return null
  const status = statusOf(stored)
  const statusReason = reasonOf(status, reason)
  return {
    status,
    accountLabel: label ?? '',
    createdAt: Number(createdAt),
    ...(statusReason ? { statusReason } : {}),
    ...(name ? { name } : {}),
  }
}

export function statusOf(stored: string): ConnectionStatus {
  return stored === 'needs_reconnect' || stored === 'degraded' ? stored : 'connected'
}

/**
 * The stored reason as one of the closed list. Records marked before the list held the
 * user-facing sentence instead: a refused refresh, so `grant_expired`.
 */
export function reasonOf(
  status: ConnectionStatus,
  stored: string | null | undefined,
): StatusReason | undefined {
  if (status === 'connected') return undefined
  if ((STATUS_REASONS as readonly string[]).includes(stored ?? '')) return stored as StatusReason
  return status === 'degraded' ? 'provider_unavailable' : 'grant_expired'
}

function backoffOf(h: Record<string, string>): Backoff | undefined {
  const step = Number(h.backoffStep)
  const until = Number(h.backoffUntil)
  return step > 0 && Number.isFinite(until) ? { step, until } : undefined
}

function epochMs(v: string | undefined): number {
  const n = Number(v)
  return Number.isFinite(n) ? n : 0
}

/** The decrypted secrets, or `decrypt_failed` when they are not the shape this code writes. */
function readSecrets(plaintext: string): Secrets {
  let value: unknown
  try {
    value = JSON.parse(plaintext)
  } catch (err) {
    throw unreadable(err)
  }
  const v = (value ?? {}) as Record<string, unknown>
  const optional = (x: unknown) => x === undefined || typeof x === 'string'
  if (typeof v.accessToken !== 'string' || !optional(v.refreshToken) || !optional(v.tokenSecret))
    throw unreadable()
  return {
    accessToken: v.accessToken,
    ...(typeof v.refreshToken === 'string' ? { refreshToken: v.refreshToken } : {}),
    ...(typeof v.tokenSecret === 'string' ? { tokenSecret: v.tokenSecret } : {}),
  }
}

function unreadable(cause?: unknown): AppError {
  return new AppError('decrypt_failed', 'The stored connection could not be read; please reconnect.', {
    status: 500,
    expose: true,
    cause: cause ?? new Error('stored secrets have an unexpected shape'),
  })
}
