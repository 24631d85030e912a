import { AppError, isAppError } from '../errors/app-error.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { CallContext, Grant, Provider, SmsMessage, SmsResult } from '../providers/types.js'
import type { ClientRef, ConnectionRecord, ConnectionRef, ConnectionStore } from './connection-store.js'
import type { CredentialSource } from './credentials.js'
import { combineEvents, type ConnectionEvents, type ListenerFailed } from './events.js'
import { attempt, type AttemptDeps } from './attempt.js'
import { BackingOff, type ConnectionHealth } from './health.js'
import { HealthMoves } from './health-moves.js'
import { InFlight } from './inflight.js'
import type { RefreshLock } from './refresh-lock.js'
import { needsReconnect, Refresher } from './refresher.js'

export interface LifecycleDeps {
  store: ConnectionStore
  /** Status moves and the back-off shared by all instances (health.ts). */
  health: ConnectionHealth
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
  /** The kept read (kept-read.ts): keep-alive checks through it, which records what it reads itself. */
  readKept?: (ref: ConnectionRef, known: ConnectionRecord) => Promise<unknown>
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
  private readonly moves: HealthMoves
  private readonly attemptDeps: AttemptDeps
  private readonly refresher: Refresher
  private readonly lockWaitMs: number

  constructor(private readonly deps: LifecycleDeps) {
    this.events = combineEvents([deps.events], deps.onListenerFailed)
    this.lockWaitMs = deps.lockWaitMs ?? 10_000
    this.moves = new HealthMoves(deps.health, this.events, (ref) => this.requireConnected(ref))
    const moves = this.moves
    this.attemptDeps = {
      credentials: deps.credentials,
      moves,
      lockWaitMs: this.lockWaitMs,
      refresh: (ref, stale, wait, probe) => this.refresh(ref, stale, wait, probe),
    }
    this.refresher = new Refresher({
      ...deps,
      events: this.events,
      inflight: this.inflight,
      requireConnected: (ref) => this.requireConnected(ref),
      markDead: (record, reason) => moves.markDead(record, reason),
      degrade: (record, step) => moves.degrade(record, step),
      recovered: (record) => moves.recovered(record),
      revokeOrphan: (ref, record, grant) => this.revokeLater(ref, record.client, grant),
    })
  }

  /**
   * Uses a connection's grant on a caller's behalf (attempt.ts). `known` is a record the
   * caller has just read (the dashboard loads it once for all its panels); a stale one is
   * harmless: a refresh re-reads under the lock, and its write is fenced. While the
   * connection backs off, the call is refused at once (`BackingOff`) on every instance.
   */
  async use<T>(
    ref: ConnectionRef,
    call: (ctx: CallContext, provider: Provider) => Promise<T>,
    known?: ConnectionRecord,
  ): Promise<T> {
    const provider = this.deps.providers.get(ref.provider)
    const read = known && known.status !== 'needs_reconnect' ? known : await this.requireConnected(ref)
    const { admission, record: admitted, release } = await this.moves.admit(read, provider)
    try {
      return await attempt(this.attemptDeps, provider, admitted, admission, call)
    } finally {
      release()
    }
  }

  /** Sends an SMS through the connection and announces it (the support console's events). */
  async sendSms(ref: ConnectionRef, message: SmsMessage, known?: ConnectionRecord): Promise<SmsResult> {
    const sent = await this.use(ref, (ctx, p) => p.sendSms(ctx, message), known)
    await this.events.changed({ kind: 'message_sent', ref })
    return sent
  }

  /** `probe`: the caller holds the back-off step's one attempt (health.ts), so it is not asked again. */
  refresh(
    ref: ConnectionRef,
    staleAccessToken: string,
    lockWaitMs = this.lockWaitMs,
    probe = false,
  ): Promise<ConnectionRecord> {
    return this.refresher.refresh(ref, staleAccessToken, lockWaitMs, probe)
  }

  /** Connect or reconnect with a grant issued by `client` (`by`: who did); the grant it replaces is revoked. */
  async connect(ref: ConnectionRef, grant: Grant, client: ClientRef, by?: string): Promise<void> {
    const old = await this.deps.store.replace(ref, grant, client)
    if (old && old.grant.secrets.refreshToken !== grant.secrets.refreshToken)
      this.revokeLater(ref, old.client, old.grant)
    const sameAccount = old !== null && old.grant.accountId === grant.accountId
    const name = sameAccount ? old.name : undefined
    await this.events.changed({
      kind: 'connected',
      ref,
      from: old?.status ?? null,
      accountLabel: grant.accountLabel,
      ...(name ? { name } : {}),
      ...(old && !sameAccount ? { accountChanged: true } : {}),
      ...(by ? { by } : {}),
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
  async disconnect(
    ref: ConnectionRef,
    cause: 'user' | 'user_removed' = 'user',
    by?: string,
  ): Promise<boolean> {
    const old = await this.deps.store.remove(ref)
    if (!old) return false
    this.revokeLater(ref, old.client, old.grant)
    await this.events.changed({ kind: 'disconnected', ref, cause, ...(by ? { by } : {}) })
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
  async check(ref: ConnectionRef): Promise<'checked' | 'gone' | 'dead' | 'waiting'> {
    const record = await this.deps.store.get(ref)
    if (!record || record.status === 'needs_reconnect') return 'gone'
    const provider = this.deps.providers.get(ref.provider)
    try {
      if (provider.refreshable) {
        const admission = await this.deps.health.admit(record, provider.label)
        await this.refresh(ref, record.grant.secrets.accessToken, this.lockWaitMs, admission.probe)
      } else {
        await (this.deps.readKept?.(ref, record) ?? this.use(ref, (ctx, p) => p.fetchBalance(ctx), record))
        if (await this.deps.store.markChecked(ref, record.generation))
          await this.events.changed({ kind: 'checked', ref })
      }
      return 'checked'
    } catch (err) {
      // Backing off: the keep-alive waits like every other caller; the next sweep tries again.
      if (err instanceof BackingOff) return 'waiting'
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
   * Deleting the organisation: removes the connection and revokes its grant, awaited. No
   * follow-ups (events, index, banners): everything of the organisation goes with it.
   */
  async removeAndRevoke(ref: ConnectionRef): Promise<'revoked' | 'failed' | 'gone'> {
    const old = await this.deps.store.remove(ref)
    if (!old) return 'gone'
    return (await this.revoke(ref, old.client, old.grant)) ? 'revoked' : 'failed'
  }

  private revokeLater(ref: ConnectionRef, client: ClientRef | undefined, grant: Grant): void {
    void this.inflight.track(this.revoke(ref, client, grant))
  }

  private async revoke(ref: ConnectionRef, client: ClientRef | undefined, grant: Grant): Promise<boolean> {
    const provider = this.deps.providers.get(ref.provider)
    if (!provider.revoke) return true
    try {
      await provider.revoke(await this.deps.credentials.issuing(ref.tenantId, ref.provider, client), grant)
      return true
    } catch (err) {
      this.deps.onRevokeFailed?.(ref.provider, isAppError(err) ? err.code : 'internal')
      return false
    }
  }
}
