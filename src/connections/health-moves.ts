import type { Provider } from '../providers/types.js'
import type { FailureSite, StatusReason } from '../providers/status.js'
import { connectionKey } from '../redis/keys.js'
import type { ConnectionEvents } from './events.js'
import { BackingOff, type Admission, type ConnectionHealth } from './health.js'
import type { ConnectionRecord, ConnectionRef } from './record.js'
import { needsReconnect } from './refresher.js'

const FREE: Admission = { probe: false, step: 0 }

/**
 * The lifecycle's status moves (health.ts does them in Redis) with their announcements, and
 * admission to the provider. Callers in this process that arrive while one of them holds
 * the back-off step's attempt wait for its outcome instead of being turned away, so the
 * panels of one page all load once the provider answers again.
 */
export class HealthMoves {
  /** Per connection: settles when this process's attempt of the current back-off step does. */
  private readonly probes = new Map<string, Promise<void>>()

  constructor(
    private readonly health: ConnectionHealth,
    private readonly events: Required<ConnectionEvents>,
    private readonly reread: (ref: ConnectionRef) => Promise<ConnectionRecord>,
  ) {}

  /** Lets `record` be tried, or throws `BackingOff`; `release` ends this caller's hold on the step. */
  async admit(
    record: ConnectionRecord,
    provider: Provider,
  ): Promise<{ admission: Admission; record: ConnectionRecord; release: () => void }> {
    const none = () => undefined
    if (record.status !== 'degraded') return { admission: FREE, record, release: none }
    const key = connectionKey(record.ref)
    const running = this.probes.get(key)
    if (running) {
      await running
      const now = await this.reread(record.ref)
      if (now.status === 'degraded') throw new BackingOff(provider.label)
      return { admission: FREE, record: now, release: none }
    }
    let release: () => void = none
    const settled = new Promise<void>((resolve) => {
      release = () => {
        if (this.probes.get(key) === settled) this.probes.delete(key)
        resolve()
      }
    })
    this.probes.set(key, settled)
    try {
      const admission = await this.health.admit(record, provider.label)
      if (!admission.probe) release()
      return { admission, record, release }
    } catch (err) {
      release()
      throw err
    }
  }

  /**
   * What a failed call means for the connection, in the provider's words: a passing outage
   * starts or lengthens the back-off, a dead grant needs reconnect. Returns the error to throw.
   */
  async judge(
    provider: Provider,
    record: ConnectionRecord,
    admission: Admission,
    err: unknown,
    site: FailureSite,
  ): Promise<unknown> {
    if (err instanceof BackingOff) return err
    const reason = provider.statusReasonOf(err, site)
    if (reason === 'provider_unavailable') await this.degrade(record, admission.step)
    else if (reason && (await this.markDead(record, reason))) return needsReconnect(provider.label, err)
    return err
  }

  /** Marks the grant dead unless the connection changed meanwhile (fenced by generation). */
  async markDead(record: ConnectionRecord, reason: StatusReason): Promise<boolean> {
    const before = await this.health.markDead(record, reason)
    if (before && before !== 'needs_reconnect')
      await this.events.changed({ kind: 'needs_reconnect', ref: record.ref, from: before, reason })
    return before !== null
  }

  /** Counts a passing failure seen at back-off `step` (once per step, on any instance). */
  async degrade(record: ConnectionRecord, step: number): Promise<void> {
    const before = await this.health.degrade(record, step)
    if (before !== null)
      await this.events.changed({
        kind: 'degraded',
        ref: record.ref,
        from: before,
        reason: 'provider_unavailable',
      })
  }

  /** A degraded connection answered: back to connected, announced by the one caller that moved it. */
  async recovered(record: ConnectionRecord): Promise<void> {
    if (await this.health.recover(record)) await this.events.changed({ kind: 'recovered', ref: record.ref })
  }
}
