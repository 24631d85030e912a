import { setTimeout as sleep } from 'node:timers/promises'
import { AppError, isAppError } from '../errors.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { CallContext, Grant, Provider } from '../providers/types.js'
import { connectionKey, refreshLockKey } from '../redis/keys.js'
import type { ConnectionRecord, ConnectionRef, ConnectionStore } from './connection-store.js'
import type { CredentialSource } from './credentials.js'
import type { RefreshLock } from './refresh-lock.js'

/** Observers the ops layer plugs in (metrics, logs); the service works without them. */
export interface ConnectionEvents {
  refreshed?(provider: string, outcome: 'ok' | 'invalid_grant' | 'error' | 'waited'): void
  lockWaited?(ms: number): void
  statusChanged?(ref: ConnectionRef, from: string, to: string): void
}

export interface ConnectionServiceDeps {
  store: ConnectionStore
  lock: RefreshLock
  providers: ProviderRegistry
  credentials: CredentialSource
  events?: ConnectionEvents
  /** How long a caller waits for another instance's refresh before giving up, ms. */
  lockWaitMs?: number
}

/** Calls every observer that has the hook, so metrics and other listeners can share one service. */
export function combineEvents(...list: (ConnectionEvents | undefined)[]): ConnectionEvents {
  const present = list.filter((e): e is ConnectionEvents => e !== undefined)
  return {
    refreshed: (provider, outcome) => present.forEach((e) => e.refreshed?.(provider, outcome)),
    lockWaited: (ms) => present.forEach((e) => e.lockWaited?.(ms)),
    statusChanged: (ref, from, to) => present.forEach((e) => e.statusChanged?.(ref, from, to)),
  }
}

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

/**
 * Uses a connection's grant on a caller's behalf: refreshes it first when due, once more
 * when the provider rejects the token, and never lets two refreshes of one connection
 * run at once anywhere (single flight in this process, a Redis lock across processes),
 * because sms77 rotates refresh tokens and a lost rotation loses the account.
 */
export class ConnectionService {
  private readonly inflight = new Map<string, Promise<ConnectionRecord>>()
  private readonly lockWaitMs: number

  constructor(private readonly deps: ConnectionServiceDeps) {
    this.lockWaitMs = deps.lockWaitMs ?? 10_000
  }

  /**
   * `known` is a record the caller has just read (the dashboard loads it once for all its
   * panels); a stale one is harmless: a refresh re-reads under the lock before acting.
   */
  async use<T>(
    ref: ConnectionRef,
    call: (ctx: CallContext, provider: Provider) => Promise<T>,
    known?: ConnectionRecord,
  ): Promise<T> {
    const provider = this.deps.providers.get(ref.provider)
    const [credentials, loaded] = await Promise.all([
      this.deps.credentials.forTenant(ref.tenantId, ref.provider),
      known && known.status === 'connected' ? known : this.requireConnected(ref),
    ])
    let record = loaded
    if (provider.refreshable && isDue(record.grant)) record = await this.refreshOrKeep(ref, record)
    try {
      return await call({ credentials, grant: record.grant }, provider)
    } catch (err) {
      if (!isAppError(err) || err.code !== 'token_rejected') throw err
      if (!provider.refreshable) {
        await this.markNeedsReconnect(
          ref,
          record,
          `${provider.label} no longer accepts this connection's access token.`,
        )
        throw needsReconnect(provider.label, err)
      }
      record = await this.refresh(ref, record.grant.secrets.accessToken)
      return await call({ credentials, grant: record.grant }, provider)
    }
  }

  /**
   * A proactive refresh that fails for a passing reason (provider down, slow, the lock
   * held elsewhere, even by a process that died holding it) is no reason to stop using an
   * access token that has not expired yet: the old one serves until it does, without
   * waiting for the lock. A dead grant (`needs_reconnect`) is never papered over.
   */
  private async refreshOrKeep(ref: ConnectionRef, record: ConnectionRecord): Promise<ConnectionRecord> {
    const stillValid = record.grant.expiresAt !== undefined && record.grant.expiresAt > Date.now()
    try {
      return await this.refresh(ref, record.grant.secrets.accessToken, stillValid ? 0 : this.lockWaitMs)
    } catch (err) {
      const passing = isAppError(err) && err.code !== 'needs_reconnect' && err.code !== 'not_found'
      if (passing && stillValid) return record
      throw err
    }
  }

  /**
   * Refreshes unless someone already replaced `staleAccessToken`. Concurrent callers in
   * this process share one attempt before any of them touches the Redis lock.
   */
  refresh(
    ref: ConnectionRef,
    staleAccessToken: string,
    lockWaitMs = this.lockWaitMs,
  ): Promise<ConnectionRecord> {
    const key = connectionKey(ref)
    const running = this.inflight.get(key)
    if (running) return running
    const attempt = this.refreshUnderLock(ref, staleAccessToken, lockWaitMs).finally(() =>
      this.inflight.delete(key),
    )
    this.inflight.set(key, attempt)
    return attempt
  }

  private async refreshUnderLock(
    ref: ConnectionRef,
    staleAccessToken: string,
    lockWaitMs: number,
  ): Promise<ConnectionRecord> {
    const lockKey = refreshLockKey(ref)
    const started = Date.now()
    for (let attempt = 0; ; attempt++) {
      const lock = await this.deps.lock.tryAcquire(lockKey)
      if (lock) {
        try {
          this.deps.events?.lockWaited?.(Date.now() - started)
          return await this.refreshHolding(ref, staleAccessToken)
        } finally {
          await this.deps.lock.release(lock)
        }
      }
      // Someone else is refreshing: wait, then re-read instead of refreshing again.
      await sleep(Math.min(25 * 2 ** attempt, 200) + Math.random() * 25)
      const record = await this.requireConnected(ref)
      if (replaced(record, staleAccessToken)) {
        this.deps.events?.lockWaited?.(Date.now() - started)
        this.deps.events?.refreshed?.(ref.provider, 'waited')
        return record
      }
      if (Date.now() - started > lockWaitMs) {
        throw new AppError(
          'lock_timeout',
          'The connection is being refreshed; please try again in a moment.',
          { status: 503, expose: true },
        )
      }
    }
  }

  private async refreshHolding(ref: ConnectionRef, staleAccessToken: string): Promise<ConnectionRecord> {
    const record = await this.requireConnected(ref)
    // The lock may have been won just after another holder finished: re-check first.
    if (replaced(record, staleAccessToken)) {
      this.deps.events?.refreshed?.(ref.provider, 'waited')
      return record
    }
    const provider = this.deps.providers.get(ref.provider)
    const credentials = await this.deps.credentials.forTenant(ref.tenantId, ref.provider)
    let fresh: Grant
    try {
      fresh = await provider.refresh(credentials, record.grant)
    } catch (err) {
      if (isAppError(err) && err.code === 'invalid_grant') {
        this.deps.events?.refreshed?.(ref.provider, 'invalid_grant')
        await this.markNeedsReconnect(
          ref,
          record,
          `${provider.label} no longer accepts this connection; reconnect to continue.`,
        )
        throw needsReconnect(provider.label, err)
      }
      this.deps.events?.refreshed?.(ref.provider, 'error')
      throw err
    }
    // A refresh answer without a refresh token keeps the old one (RFC 6749 §6).
    const grant: Grant = {
      ...fresh,
      secrets: {
        ...fresh.secrets,
        refreshToken: fresh.secrets.refreshToken ?? record.grant.secrets.refreshToken,
      },
    }
    await this.deps.store.saveGrant(ref, grant)
    this.deps.events?.refreshed?.(ref.provider, 'ok')
    return { ...record, grant, updatedAt: Date.now() }
  }

  private async requireConnected(ref: ConnectionRef): Promise<ConnectionRecord> {
    const record = await this.deps.store.get(ref)
    if (!record) throw new AppError('not_found', 'This account is not connected.', { status: 404 })
    if (record.status === 'needs_reconnect') throw needsReconnect(this.deps.providers.get(ref.provider).label)
    return record
  }

  private async markNeedsReconnect(
    ref: ConnectionRef,
    record: ConnectionRecord,
    reason: string,
  ): Promise<void> {
    await this.deps.store.markNeedsReconnect(ref, reason)
    if (record.status !== 'needs_reconnect')
      this.deps.events?.statusChanged?.(ref, record.status, 'needs_reconnect')
  }
}

function replaced(record: ConnectionRecord, staleAccessToken: string): boolean {
  return record.grant.secrets.accessToken !== staleAccessToken && !isDue(record.grant)
}

function needsReconnect(label: string, cause?: unknown): AppError {
  return new AppError('needs_reconnect', `${label} needs to be reconnected.`, {
    status: 409,
    expose: true,
    cause,
  })
}
