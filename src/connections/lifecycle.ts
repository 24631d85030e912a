import { AppError, isAppError } from '../errors/app-error.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { CallContext, Grant, Money, Provider } from '../providers/types.js'
import type { ClientRef, ConnectionRecord, ConnectionRef, ConnectionStore } from './connection-store.js'
import type { CredentialSource } from './credentials.js'
import { combineEvents, type ConnectionEvents, type ListenerFailed } from './events.js'
import { InFlight } from './inflight.js'
import type { RefreshLock } from './refresh-lock.js'
import { isDue, needsReconnect, Refresher } from './refresher.js'

export interface LifecycleDeps {
  store: ConnectionStore
  lock: RefreshLock
  providers: ProviderRegistry
  credentials: CredentialSource
  events?: ConnectionEvents
  /** Told of every listener that failed on a change (logged by the caller, never dropped). */
  onListenerFailed: ListenerFailed
  /** How long a caller waits for another instance's refresh before giving up, ms. */
  lockWaitMs?: number
  /** Logs a failed revocation by its error code only (never a token). */
  onRevokeFailed?: (provider: string, code: string) => void
  afterRotation?: () => Promise<unknown>
  /** Told of every balance the keep-alive check read (balance history and alerts). */
  onBalance?: (ref: ConnectionRef, balance: Money) => void | Promise<void>
}

/**
 * The one owner of connections: the only code that creates, replaces, refreshes, marks,
 * disconnects and removes them, announcing each change once (events.ts). Work that must
 * outlive a request (a refresh at the provider, a revocation) is tracked so a shutdown
 * can let it finish.
 */
export class ConnectionLifecycle {
  readonly inflight = new InFlight()
  private readonly events: Required<ConnectionEvents>
  private readonly refresher: Refresher
  private readonly lockWaitMs: number

  constructor(private readonly deps: LifecycleDeps) {
    this.events = combineEvents([deps.events], deps.onListenerFailed)
    this.lockWaitMs = deps.lockWaitMs ?? 10_000
    this.refresher = new Refresher({
      ...deps,
      events: this.events,
      inflight: this.inflight,
      requireConnected: (ref) => this.requireConnected(ref),
      markDead: (record, reason) => this.markDead(record, reason),
      revokeOrphan: (ref, record, grant) => this.revokeLater(ref, record.client, grant),
    })
  }

  /**
   * Uses a connection's grant on a caller's behalf: refreshed first when due, once more
   * when the provider rejects the token. `known` is a record the caller has just read (the
   * dashboard loads it once for all its panels); a stale one is harmless: a refresh
   * re-reads under the lock, and its write is fenced.
   */
  async use<T>(
    ref: ConnectionRef,
    call: (ctx: CallContext, provider: Provider) => Promise<T>,
    known?: ConnectionRecord,
  ): Promise<T> {
    const provider = this.deps.providers.get(ref.provider)
    let record = known && known.status === 'connected' ? known : await this.requireConnected(ref)
    if (provider.refreshable && isDue(record.grant)) record = await this.refreshOrKeep(ref, record)
    const credentials = await this.deps.credentials.issuing(ref.tenantId, ref.provider, record.client)
    try {
      return await call({ credentials, grant: record.grant }, provider)
    } catch (err) {
      if (!isAppError(err) || err.code !== 'token_rejected') throw err
      if (!provider.refreshable) {
        const reason = `${provider.label} no longer accepts this connection's access token.`
        if (await this.markDead(record, reason)) throw needsReconnect(provider.label, err)
        throw err
      }
      record = await this.refresh(ref, record.grant.secrets.accessToken)
      return await call({ credentials, grant: record.grant }, provider)
    }
  }

  refresh(
    ref: ConnectionRef,
    staleAccessToken: string,
    lockWaitMs = this.lockWaitMs,
  ): Promise<ConnectionRecord> {
    return this.refresher.refresh(ref, staleAccessToken, lockWaitMs)
  }

  /** Connect or reconnect with a grant issued by `client`; the grant it replaces is revoked. */
  async connect(ref: ConnectionRef, grant: Grant, client: ClientRef): Promise<void> {
    const old = await this.deps.store.replace(ref, grant, client)
    if (old && old.grant.secrets.refreshToken !== grant.secrets.refreshToken)
      this.revokeLater(ref, old.client, old.grant)
    const name = old && old.grant.accountId === grant.accountId ? old.name : undefined
    await this.events.changed({
      kind: 'connected',
      ref,
      from: old?.status ?? null,
      accountLabel: grant.accountLabel,
      ...(name ? { name } : {}),
    })
  }

  /** The owner names a connection ('' clears the name); false when there is none to name. */
  async rename(ref: ConnectionRef, name: string): Promise<boolean> {
    const record = await this.deps.store.get(ref)
    if (!record || !(await this.deps.store.rename(ref, record.generation, name))) return false
    await this.events.changed({ kind: 'renamed', ref, accountLabel: record.grant.accountLabel, name })
    return true
  }

  /**
   * Deletes the connection here first, then revokes its grant at the provider in the
   * background: deletion never waits on or depends on the provider.
   */
  async disconnect(ref: ConnectionRef, cause: 'user' | 'user_removed' = 'user'): Promise<boolean> {
    const old = await this.deps.store.remove(ref)
    if (!old) return false
    this.revokeLater(ref, old.client, old.grant)
    await this.events.changed({ kind: 'disconnected', ref, cause })
    return true
  }

  async removeUser(tenantId: string, userId: string): Promise<void> {
    for (const provider of this.deps.providers.all())
      await this.disconnect({ tenantId, userId, provider: provider.id }, 'user_removed')
  }

  /**
   * Keep-alive: proves the grant still works without anyone opening a page. A refreshable
   * grant is refreshed (unused refresh tokens die); another is checked with a cheap signed
   * call. A dead grant becomes needs reconnect; a passing failure is thrown for a retry.
   */
  async check(ref: ConnectionRef): Promise<'checked' | 'gone' | 'dead'> {
    const record = await this.deps.store.get(ref)
    if (!record || record.status === 'needs_reconnect') return 'gone'
    const provider = this.deps.providers.get(ref.provider)
    try {
      if (provider.refreshable) await this.refresh(ref, record.grant.secrets.accessToken)
      else {
        const balance = await this.use(ref, (ctx, p) => p.fetchBalance(ctx), record)
        await this.deps.onBalance?.(ref, balance)
        if (await this.deps.store.markChecked(ref, record.generation))
          await this.events.changed({ kind: 'checked', ref })
      }
      return 'checked'
    } catch (err) {
      if (isAppError(err) && (err.code === 'needs_reconnect' || err.code === 'not_found'))
        return err.code === 'not_found' ? 'gone' : 'dead'
      throw err
    }
  }

  /** Waits (bounded) for refreshes and revocations under way; true when all finished. */
  drain(ms: number): Promise<boolean> {
    return this.inflight.drain(ms)
  }

  async requireConnected(ref: ConnectionRef): Promise<ConnectionRecord> {
    const record = await this.deps.store.get(ref)
    if (!record) throw new AppError('not_found', 'This account is not connected.', { status: 404 })
    if (record.status === 'needs_reconnect') throw needsReconnect(this.deps.providers.get(ref.provider).label)
    return record
  }

  /**
   * A proactive refresh that fails for a passing reason (provider down, slow, the lock
   * held elsewhere, even by a process that died holding it) is no reason to stop using an
   * access token that has not expired yet. A dead grant is never papered over.
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

  /** Marks the grant dead unless the connection changed meanwhile (fenced by generation). */
  private async markDead(record: ConnectionRecord, reason: string): Promise<boolean> {
    const marked = await this.deps.store.markNeedsReconnect(record.ref, record.generation, reason)
    if (marked && record.status !== 'needs_reconnect')
      await this.events.changed({ kind: 'needs_reconnect', ref: record.ref, from: record.status, reason })
    return marked
  }

  private revokeLater(ref: ConnectionRef, client: ClientRef | undefined, grant: Grant): void {
    const provider = this.deps.providers.get(ref.provider)
    if (!provider.revoke) return
    const revoke = provider.revoke.bind(provider)
    const work = this.deps.credentials
      .issuing(ref.tenantId, ref.provider, client)
      .then((credentials) => revoke(credentials, grant))
      .catch((err: unknown) =>
        this.deps.onRevokeFailed?.(ref.provider, isAppError(err) ? err.code : 'internal'),
      )
    void this.inflight.track(work)
  }
}
