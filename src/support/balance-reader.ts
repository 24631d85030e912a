import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { refOf } from '../connections/member.js'
import { isAppError } from '../errors/app-error.js'
import type { ProviderId } from '../providers/types.js'
import type { Balances } from '../balances/balances.js'
import { Semaphore } from './semaphore.js'
import type { SupportIndex, SupportRow } from './support-index.js'

export const BALANCE_TTL_MS = 60_000
const PER_PROVIDER = 8

/**
 * Reads balances for support rows through the same connection service as the dashboard
 * (so refreshes happen under the same lock), at most 8 at once per provider, and keeps
 * the answer (or the error, beside the last known balance) in the support index.
 */
export class BalanceReader {
  private readonly gates = new Map<ProviderId, Semaphore>()
  private readonly inflight = new Map<string, Promise<void>>()

  constructor(
    private readonly connections: ConnectionLifecycle,
    private readonly index: SupportIndex,
    private readonly words: (tenantId: string, member: string) => Promise<string[]>,
    private readonly balances?: Pick<Balances, 'record'>,
  ) {}

  isStale(row: SupportRow, now = Date.now()): boolean {
    return row.status !== 'needs_reconnect' && (!row.entry.readAt || now - row.entry.readAt > BALANCE_TTL_MS)
  }

  /** Reads the given rows; resolves when all are read or `deadlineMs` passes (reads go on). */
  async readRows(tenantId: string, rows: SupportRow[], deadlineMs: number): Promise<void> {
    const reads = Promise.all(rows.map((r) => this.read(tenantId, r)))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([reads, new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))])
    clearTimeout(timer)
  }

  read(tenantId: string, row: SupportRow): Promise<void> {
    const key = `${tenantId}:${row.member}`
    const running = this.inflight.get(key)
    if (running) return running
    const gate = this.gates.get(row.provider) ?? new Semaphore(PER_PROVIDER)
    this.gates.set(row.provider, gate)
    const attempt = gate.run(() => this.readOne(tenantId, row)).finally(() => this.inflight.delete(key))
    this.inflight.set(key, attempt)
    return attempt
  }

  private async readOne(tenantId: string, row: SupportRow): Promise<void> {
    const ref = refOf(tenantId, row.member)
    try {
      const profile = await this.connections.use(ref, (ctx, p) => p.fetchProfile(ctx))
      const readAt = Date.now()
      await this.index.recordBalance(ref, { balance: profile.balance, company: profile.company, readAt })
      if (profile.balance) await this.balances?.record(ref, profile.balance, readAt)
      if (profile.company !== row.entry.company)
        await this.index.indexConnection(ref, [
          ...(await this.words(tenantId, row.member)),
          profile.company ?? '',
        ])
    } catch (err) {
      const error = isAppError(err) && err.expose ? err.message : 'The balance could not be read.'
      // Keep the last known balance beside the error: support still sees something useful.
      await this.index.recordBalance(ref, { ...row.entry, error, readAt: Date.now() })
    }
  }
}
