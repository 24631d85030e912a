import type { KeptRead } from '../connections/kept-read.js'
import { refOf } from '../connections/member.js'
import { isAppError } from '../errors/app-error.js'
import type { ProviderId } from '../providers/types.js'
import { Semaphore } from './semaphore.js'
import type { SupportIndex, SupportRow } from './support-index.js'

export const BALANCE_TTL_MS = 60_000
const PER_PROVIDER = 8

/**
 * Reads balances for support rows through the connection's one kept read (shared with the
 * dashboard and the API), at most 8 at once per provider; the kept read keeps the answer in
 * the support index, this the error beside the last known balance.
 */
export class BalanceReader {
  private readonly gates = new Map<ProviderId, Semaphore>()
  private readonly inflight = new Map<string, Promise<void>>()

  constructor(
    private readonly kept: Pick<KeptRead, 'read'>,
    private readonly index: SupportIndex,
    private readonly words: (tenantId: string, member: string) => Promise<string[]>,
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

  /** `fresh`: support's Refresh reads the provider now (still one read for everyone asking). */
  read(tenantId: string, row: SupportRow, fresh = false): Promise<void> {
    const key = `${tenantId}:${row.member}${fresh ? ':fresh' : ''}`
    const running = this.inflight.get(key)
    if (running) return running
    const gate = this.gates.get(row.provider) ?? new Semaphore(PER_PROVIDER)
    this.gates.set(row.provider, gate)
    const attempt = gate
      .run(() => this.readOne(tenantId, row, fresh))
      .finally(() => this.inflight.delete(key))
    this.inflight.set(key, attempt)
    return attempt
  }

  private async readOne(tenantId: string, row: SupportRow, fresh: boolean): Promise<void> {
    const ref = refOf(tenantId, row.member)
    try {
      // The kept read records what the provider answered (index and balance history) itself.
      const { profile } = await this.kept.read(ref, { fresh })
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
