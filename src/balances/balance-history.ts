import { setTimeout as sleep } from 'node:timers/promises'
import type { RedisClient } from '../redis/client.js'
import { balanceHistoryKey } from '../redis/keys.js'
import type { ConnectionRef } from '../connections/record.js'
import type { Money } from '../providers/types.js'
import {
  decodeSeries,
  encodeSeries,
  hourOf,
  toUnits,
  UNITS_PER_AMOUNT,
  upsertPoint,
  type Series,
} from './series-codec.js'

/** A year of hours: the most a history keeps. */
export const YEAR_HOURS = 8_760
const HOUR_MS = 3_600_000
const CAS_ATTEMPTS = 8

/** One point as pages use it: the start of its hour and the amount read in it. */
export interface BalancePoint {
  at: number
  amount: number
}

export interface BalanceSeries {
  currency: string
  points: BalancePoint[]
}

// Writes the new history only if nobody wrote since it was read: the sequence in the
// header (bytes 4..7) is the fence; a missing key reads as ''. The TTL lets a history no
// one reads any more go when its last point would have been trimmed anyway.
const CAS_SCRIPT = `
if redis.call('GETRANGE', KEYS[1], 4, 7) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`

/**
 * Every balance read, kept per connection as at most one point an hour for at most a
 * year, in one packed Redis string (series-codec.ts). A read in an hour that already has
 * a point replaces it. Writers in this process take turns per key; instances are fenced by
 * compare-and-set and retry.
 */
export class BalanceHistory {
  private readonly turns = new Map<string, Promise<boolean>>()

  constructor(
    private readonly redis: RedisClient,
    private readonly keepHours = YEAR_HOURS,
  ) {}

  /** Stores a read; false when it changed nothing (same hour, same amount). */
  record(ref: ConnectionRef, money: Money, at: number): Promise<boolean> {
    const key = balanceHistoryKey(ref)
    const before = this.turns.get(key)
    const mine = (before ?? Promise.resolve(false)).catch(() => false).then(() => this.write(key, money, at))
    this.turns.set(key, mine)
    const done = () => void (this.turns.get(key) === mine && this.turns.delete(key))
    mine.then(done, done)
    return mine
  }

  private async write(key: string, money: Money, at: number): Promise<boolean> {
    const point = { hour: hourOf(at), units: toUnits(money.amount) }
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const raw = await this.redis.getBuffer(key)
      const old = decodeSeries(raw)
      const same = old.points.find((p) => p.hour === point.hour)
      if (same?.units === point.units && old.currency === money.currency) return false
      // A new currency starts a new history: amounts in two currencies do not make one line.
      const kept = old.currency === money.currency ? old.points : []
      const series: Series = {
        currency: money.currency,
        seq: (old.seq + 1) % 2 ** 32,
        points: upsertPoint(kept, point, this.keepHours),
      }
      const fence = raw ? raw.subarray(4, 8) : ''
      const ttl = Math.ceil((this.keepHours * HOUR_MS) / 1000) + 86_400
      if ((await this.redis.eval(CAS_SCRIPT, 1, key, fence, encodeSeries(series), ttl)) === 1) return true
      await sleep(Math.random() * 20 * (attempt + 1))
    }
    throw new Error('balance history: too many concurrent writers')
  }

  /** The points from `since` (ms) on, oldest first. */
  async series(ref: ConnectionRef, since = 0): Promise<BalanceSeries> {
    return toSeries(await this.redis.getBuffer(balanceHistoryKey(ref)), since)
  }

  /** Several connections' points in one round trip (a support page's rows). */
  async many(refs: ConnectionRef[], since = 0): Promise<BalanceSeries[]> {
    if (refs.length === 0) return []
    const p = this.redis.pipeline()
    for (const ref of refs) p.getBuffer(balanceHistoryKey(ref))
    const answers = (await p.exec()) ?? []
    return answers.map(([err, raw]) => (err ? { currency: '', points: [] } : toSeries(raw as Buffer, since)))
  }

  async forget(ref: ConnectionRef): Promise<void> {
    await this.redis.del(balanceHistoryKey(ref))
  }
}

function toSeries(raw: Buffer | null, since: number): BalanceSeries {
  const { currency, points } = decodeSeries(raw)
  const from = hourOf(since)
  return {
    currency,
    points: points
      .filter((p) => p.hour >= from)
      .map((p) => ({ at: p.hour * HOUR_MS, amount: p.units / UNITS_PER_AMOUNT })),
  }
}
