import { setTimeout as sleep } from 'node:timers/promises'
import { AppError, isAppError } from '../errors/app-error.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { Grant } from '../providers/types.js'
import type { StatusReason } from '../providers/status.js'
import type { ConnectionRecord, ConnectionRef, ConnectionStore } from './connection-store.js'
import { connectionKey, refreshLockKey } from '../redis/keys.js'
import type { CredentialSource } from './credentials.js'
import type { ConnectionEvents } from './events.js'
import type { ConnectionHealth } from './health.js'
import type { InFlight } from './inflight.js'
import type { RefreshLock } from './refresh-lock.js'
import { startSpan } from '../tracing/spans.js'

const REFRESH_MARGIN_MS = 60_000

/**
 * A token is refreshed when within 60 s of expiry, or within half its lifetime when the
 * provider hands out tokens shorter than two minutes (else every use would refresh).
 */
export function isDue(grant: Grant, now = Date.now()): boolean {
  if (grant.expiresAt === undefined) return false
  const lifetime = grant.expiresAt - grant.obtainedAt
  const margin = Math.min(REFRESH_MARGIN_MS, Math.max(0, lifetime / 2))
  return grant.expiresAt - now <= margin
}

export interface RefresherDeps {
  store: ConnectionStore
  lock: RefreshLock
  providers: ProviderRegistry
  credentials: CredentialSource
  events: Required<ConnectionEvents>
  inflight: InFlight
  /** Reads the connection as a use would: throws not_found / needs_reconnect. */
  requireConnected(ref: ConnectionRef): Promise<ConnectionRecord>
  health: ConnectionHealth
  /** Marks a dead grant (fenced by generation) and announces it; false when the connection changed. */
  markDead(record: ConnectionRecord, reason: StatusReason): Promise<boolean>
  /** Counts a passing failure at back-off `step` and announces it (health.ts). */
  degrade(record: ConnectionRecord, step: number): Promise<void>
  /** Moves a degraded connection back to connected, announced once. */
  recovered(record: ConnectionRecord): Promise<void>
  /** Revokes tokens nobody will store (best effort, in the background). */
  revokeOrphan(ref: ConnectionRef, record: ConnectionRecord, grant: Grant): void
  /** After a rotation is stored: wait for a replica where there is one (failover safety). */
  afterRotation?: () => Promise<unknown>
}

/**
 * Refreshes a connection's grant so that no two refreshes of one connection ever run at
 * once anywhere (single flight in this process, a Redis lock across processes), because
 * sms77 rotates refresh tokens and a lost rotation loses the account; and so that a
 * refresh that finishes after a disconnect or reconnect never writes the old connection
 * back (the write is fenced by the record's generation).
 */
export class Refresher {
  private readonly single = new Map<string, Promise<ConnectionRecord>>()

  constructor(private readonly deps: RefresherDeps) {}

  /**
   * Refreshes unless someone already replaced `staleAccessToken`. Under the lock the
   * connection's back-off is asked again (unless the caller holds the step's attempt,
   * `probe`), so callers queued behind a failed refresh never try the provider themselves.
   */
  refresh(
    ref: ConnectionRef,
    staleAccessToken: string,
    lockWaitMs: number,
    probe = false,
  ): Promise<ConnectionRecord> {
    const key = connectionKey(ref)
    const running = this.single.get(key)
    if (running) return running
    const attempt = this.deps.inflight
      .track(this.underLock(ref, staleAccessToken, lockWaitMs, probe))
      .finally(() => this.single.delete(key))
    this.single.set(key, attempt)
    return attempt
  }

  private async underLock(
    ref: ConnectionRef,
    stale: string,
    lockWaitMs: number,
    probe: boolean,
  ): Promise<ConnectionRecord> {
    const lockKey = refreshLockKey(ref)
    const started = Date.now()
    // The wait ends when the lock is ours or another holder's refresh is seen (or on failure).
    const wait = startSpan('refresh lock wait', { attributes: { 'switchboard.provider': ref.provider } })
    try {
      for (let attempt = 0; ; attempt++) {
        const lock = await this.deps.lock.tryAcquire(lockKey)
        if (lock) {
          wait.set('switchboard.lock', 'acquired')
          wait.end()
          try {
            this.deps.events.lockWaited(Date.now() - started)
            return await this.holding(ref, stale, probe)
          } finally {
            await this.deps.lock.release(lock)
          }
        }
        // Someone else is refreshing: wait, then re-read instead of refreshing again.
        await sleep(Math.min(25 * 2 ** attempt, 200) + Math.random() * 25)
        const record = await this.deps.requireConnected(ref)
        if (replaced(record, stale)) {
          wait.set('switchboard.lock', 'refreshed_by_another')
          wait.end()
          this.deps.events.lockWaited(Date.now() - started)
          this.deps.events.refreshed(ref.provider, 'waited')
          return record
        }
        if (Date.now() - started > lockWaitMs) throw lockTimeout()
      }
    } catch (err) {
      wait.fail(err instanceof Error ? err.name : 'error')
      throw err
    } finally {
      wait.end()
    }
  }

  private async holding(ref: ConnectionRef, stale: string, probe: boolean): Promise<ConnectionRecord> {
    const record = await this.deps.requireConnected(ref)
    // The lock may have been won just after another holder finished: re-check first.
    if (replaced(record, stale)) {
      this.deps.events.refreshed(ref.provider, 'waited')
      return record
    }
    const provider = this.deps.providers.get(ref.provider)
    const step = probe
      ? (record.backoff?.step ?? 0)
      : (await this.deps.health.admit(record, provider.label)).step
    const credentials = await this.deps.credentials.issuing(ref.tenantId, ref.provider, record.client)
    let fresh: Grant
    try {
      fresh = await provider.refresh(credentials, record.grant)
    } catch (err) {
      const invalid = isAppError(err) && err.code === 'invalid_grant'
      this.deps.events.refreshed(ref.provider, invalid ? 'invalid_grant' : 'error')
      const reason = provider.statusReasonOf(err, 'refresh')
      if (reason === 'provider_unavailable') await this.deps.degrade(record, step)
      if (!reason || reason === 'provider_unavailable') throw err
      if (await this.deps.markDead(record, reason)) throw needsReconnect(provider.label, err)
      // The grant died because it was disconnected or replaced meanwhile (and revoked).
      return this.deps.requireConnected(ref)
    }
    // A refresh answer without a refresh token keeps the old one (RFC 6749 §6).
    const grant: Grant = {
      ...fresh,
      secrets: {
        ...fresh.secrets,
        refreshToken: fresh.secrets.refreshToken ?? record.grant.secrets.refreshToken,
      },
    }
    if (!(await this.deps.store.updateGrant(ref, record.generation, grant))) {
      // Disconnected, removed or reconnected while we were at the provider: never write it back.
      this.deps.events.refreshed(ref.provider, 'fenced')
      if (grant.secrets.refreshToken !== record.grant.secrets.refreshToken)
        this.deps.revokeOrphan(ref, record, grant)
      return this.deps.requireConnected(ref)
    }
    await this.deps.afterRotation?.()
    this.deps.events.refreshed(ref.provider, 'ok')
    await this.deps.events.changed({ kind: 'refreshed', ref })
    if (record.status === 'degraded') await this.deps.recovered(record)
    return { ...record, grant, updatedAt: Date.now(), checkedAt: Date.now() }
  }
}

function replaced(record: ConnectionRecord, staleAccessToken: string): boolean {
  return record.grant.secrets.accessToken !== staleAccessToken && !isDue(record.grant)
}

function lockTimeout(): AppError {
  return new AppError('lock_timeout', 'The connection is being refreshed; please try again in a moment.', {
    status: 503,
    expose: true,
  })
}

export function needsReconnect(label: string, cause?: unknown): AppError {
  return new AppError('needs_reconnect', `${label} needs to be reconnected.`, {
    status: 409,
    expose: true,
    cause,
  })
}
