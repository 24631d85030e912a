import type { RedisClient } from '../redis/client.js'
import { tenantConnectionsKey, tenantHealthKey } from '../redis/keys.js'
import { STATUS_REASONS, type StatusReason } from '../providers/status.js'
import type { ConnectionStatus } from './record.js'

/** How many connections are in one status for one reason ('' for connected), all tenants together. */
export interface HealthCount {
  status: ConnectionStatus
  reason: StatusReason | ''
  count: number
}

/**
 * Counts every tenant's connections by status and reason for `/metrics`, from two small
 * keys per tenant (its connection index and its health hash, kept in step by the record's
 * scripts), one pipeline per batch of tenants: never a record read, never a tenant label.
 * A count is kept for `maxAgeMs`, so frequent scrapes on many instances stay cheap.
 */
export class HealthCounts {
  private kept?: { at: number; counts: Promise<HealthCount[]> }

  constructor(
    private readonly redis: RedisClient,
    private readonly tenants: () => AsyncIterable<string>,
    private readonly maxAgeMs = 15_000,
  ) {}

  read(now = Date.now()): Promise<HealthCount[]> {
    if (this.kept && now - this.kept.at < this.maxAgeMs) return this.kept.counts
    const counts = this.count()
    this.kept = { at: now, counts }
    counts.catch(() => (this.kept = undefined))
    return counts
  }

  private async count(): Promise<HealthCount[]> {
    const totals = new Map<string, number>()
    let all = 0
    let batch: string[] = []
    const flush = async () => {
      const p = this.redis.pipeline()
      for (const id of batch) p.zcard(tenantConnectionsKey(id)).hvals(tenantHealthKey(id))
      const rows = (await p.exec()) ?? []
      for (let i = 0; i < rows.length; i += 2) {
        all += Number(rows[i]?.[1] ?? 0)
        for (const v of (rows[i + 1]?.[1] as string[] | undefined) ?? [])
          totals.set(v, (totals.get(v) ?? 0) + 1)
      }
      batch = []
    }
    for await (const id of this.tenants()) {
      batch.push(id)
      if (batch.length >= 200) await flush()
    }
    if (batch.length) await flush()
    const unhealthy: HealthCount[] = [
      {
        status: 'degraded',
        reason: 'provider_unavailable',
        count: totals.get('degraded:provider_unavailable') ?? 0,
      },
      ...STATUS_REASONS.filter((r) => r !== 'provider_unavailable').map((reason) => ({
        status: 'needs_reconnect' as const,
        reason,
        count: totals.get(`needs_reconnect:${reason}`) ?? 0,
      })),
    ]
    const broken = unhealthy.reduce((n, c) => n + c.count, 0)
    return [{ status: 'connected', reason: '', count: Math.max(0, all - broken) }, ...unhealthy]
  }
}
