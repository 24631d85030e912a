import type { ConnectionRef, ConnectionStatus } from './connection-store.js'
import type { StatusReason } from '../providers/status.js'
import type { Logger } from '../logging/logger.js'

/**
 * Every change the lifecycle service makes to a connection, announced once. Banners,
 * webhooks, metrics, the support index and the panel cache all listen here instead of
 * being called from each place that changes a connection.
 */
export type ConnectionChange =
  | {
      kind: 'connected'
      ref: ConnectionRef
      from: ConnectionStatus | null
      accountLabel: string
      /** The owner's name, kept from before a reconnect to the same account. */
      name?: string
      /** True when a reconnect brought another provider account than the one it replaced. */
      accountChanged?: boolean
      /** The person who connected (their user id), when a person did. */
      by?: string
    }
  | { kind: 'renamed'; ref: ConnectionRef; accountLabel: string; name: string }
  | { kind: 'refreshed'; ref: ConnectionRef }
  | { kind: 'checked'; ref: ConnectionRef }
  | { kind: 'needs_reconnect'; ref: ConnectionRef; from: ConnectionStatus; reason: StatusReason }
  /** A passing failure was counted: the connection backs off (announced at every step). */
  | { kind: 'degraded'; ref: ConnectionRef; from: ConnectionStatus; reason: 'provider_unavailable' }
  /** A degraded connection works again (announced once per recovery, on one instance). */
  | { kind: 'recovered'; ref: ConnectionRef }
  | { kind: 'message_sent'; ref: ConnectionRef }
  | { kind: 'disconnected'; ref: ConnectionRef; cause: 'user' | 'user_removed'; by?: string }

export type RefreshOutcome = 'ok' | 'invalid_grant' | 'error' | 'waited' | 'fenced'

/** Observers the other rooms plug in; the lifecycle works without any of them. */
export interface ConnectionEvents {
  /** A refresh attempt's outcome (fenced = the connection changed meanwhile; its tokens were revoked). */
  refreshed?(provider: string, outcome: RefreshOutcome): void
  lockWaited?(ms: number): void
  /** Awaited before the change's caller continues, so a page after it sees the index and cache in step. */
  changed?(change: ConnectionChange): void | Promise<void>
}

/** The status move a change makes, for banners, webhooks and metrics; null when the status stays. */
export function statusMove(
  c: ConnectionChange,
): { from: ConnectionStatus; to: ConnectionStatus; reason?: StatusReason } | null {
  if (c.kind === 'needs_reconnect' && c.from !== 'needs_reconnect')
    return { from: c.from, to: c.kind, reason: c.reason }
  if (c.kind === 'degraded' && c.from === 'connected') return { from: c.from, to: c.kind, reason: c.reason }
  if (c.kind === 'recovered') return { from: 'degraded', to: 'connected' }
  if (c.kind === 'connected' && c.from && c.from !== 'connected') return { from: c.from, to: 'connected' }
  return null
}

/** Told of a listener that failed on a change: the failure is logged, never dropped. */
export type ListenerFailed = (err: unknown, change: ConnectionChange) => void

/** A listener's failure as an operator's error line: which change, which provider, why. */
export const logListenerFailure =
  (logger: Logger): ListenerFailed =>
  (err, change) =>
    logger.error(
      { err: (err as Error)?.message, change: change.kind, provider: change.ref.provider },
      'connection change listener failed',
    )

/**
 * Calls every observer that has the hook; one failing listener never stops the others,
 * and each failure goes to `onFailed` (a listener's failure leaves an index or a cache
 * behind the connection, which an operator must be able to see).
 */
export function combineEvents(
  list: (ConnectionEvents | undefined)[],
  onFailed: ListenerFailed,
): Required<ConnectionEvents> {
  const present = list.filter((e): e is ConnectionEvents => e !== undefined)
  return {
    refreshed: (provider, outcome) => present.forEach((e) => e.refreshed?.(provider, outcome)),
    lockWaited: (ms) => present.forEach((e) => e.lockWaited?.(ms)),
    changed: async (change) => {
      const settled = await Promise.allSettled(present.map(async (e) => e.changed?.(change)))
      for (const s of settled) if (s.status === 'rejected') onFailed(s.reason, change)
    },
  }
}
