import type { RedisClient } from '../redis/client.js'
import { balanceHistoryKey } from '../redis/keys.js'
import type { ConnectionRef } from '../connections/record.js'
import { YEAR_HOURS, type BalancePoint } from './balance-history.js'
import { encodeSeries, hourOf, toUnits, upsertPoint, type HourPoint } from './series-codec.js'

const HOUR_MS = 3_600_000

/**
 * Writes whole histories in one pipeline, replacing what was there: for demo data
 * (`seed-demo`), whose accounts never had a reader to record their balances hour by hour.
 * Live reads go through BalanceHistory.record, fenced against concurrent writers.
 */
export async function seedHistories(
  redis: RedisClient,
  items: Array<{ ref: ConnectionRef; currency: string; points: BalancePoint[] }>,
  keepHours = YEAR_HOURS,
): Promise<void> {
  if (items.length === 0) return
  const ttl = Math.ceil((keepHours * HOUR_MS) / 1000) + 86_400
  const p = redis.pipeline()
  for (const { ref, currency, points } of items) {
    const hours = points.reduce<HourPoint[]>(
      (kept, pt) => upsertPoint(kept, { hour: hourOf(pt.at), units: toUnits(pt.amount) }, keepHours),
      [],
    )
    p.set(balanceHistoryKey(ref), encodeSeries({ currency, seq: 0, points: hours }), 'EX', ttl)
  }
  await p.exec()
}
