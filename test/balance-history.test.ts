import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { BalanceHistory, YEAR_HOURS } from '../src/balances/balance-history.js'
import { decodeSeries, encodeSeries, HOURLY_HOURS, type HourPoint } from '../src/balances/series-codec.js'
import { runOutText, trendOf } from '../src/balances/trend.js'
import { balanceHistoryKey } from '../src/redis/keys.js'
import type { RedisClient } from '../src/redis/client.js'
import { dropPrefix, openRedis, REDIS_URL, uniquePrefix } from './helpers/redis.js'

const HOUR = 3_600_000
const prefix = uniquePrefix('balance-history')
let redis: RedisClient
let history: BalanceHistory
const ref = { tenantId: 'acme', userId: 'a'.repeat(24), provider: 'sms77' as const }
const eur = (amount: number) => ({ amount, currency: 'EUR' })
// An hour boundary, so "same hour" in the tests is unambiguous.
const T0 = Math.floor(Date.UTC(2025, 0, 1) / HOUR) * HOUR

beforeAll(async () => {
  redis = await openRedis(prefix)
  history = new BalanceHistory(redis)
})
afterAll(async () => {
  redis.disconnect()
  await dropPrefix(prefix)
})

describe('the packed encoding', () => {
  it('round-trips any sorted series of hourly points', () => {
    const series = fc
      .uniqueArray(fc.record({ hour: fc.integer({ min: 400_000, max: 409_000 }), units: fc.integer() }), {
        selector: (p) => p.hour,
        maxLength: 300,
      })
      .map((ps) => ps.sort((a, b) => a.hour - b.hour))
    fc.assert(
      fc.property(series, fc.integer({ min: 0, max: 2 ** 32 - 1 }), (points: HourPoint[], seq) => {
        expect(decodeSeries(encodeSeries({ currency: 'EUR', seq, points }))).toEqual({
          currency: 'EUR',
          seq,
          points,
        })
      }),
    )
  })

  it('stores a flat or steadily falling stretch as one token', () => {
    const points = Array.from({ length: 1000 }, (_, i) => ({ hour: 450_000 + i, units: 5_000_000 - i * 750 }))
    const packed = encodeSeries({ currency: 'EUR', seq: 1, points })
    expect(packed.length).toBeLessThan(12 + 10)
    expect(decodeSeries(packed).points).toEqual(points)
  })
})

describe('the balance history of a connection', () => {
  it('keeps one point per hour: a second read in the same hour replaces the first', async () => {
    expect(await history.record(ref, eur(10), T0 + 60_000)).toBe(true)
    expect(await history.record(ref, eur(9.5), T0 + 30 * 60_000)).toBe(true)
    expect(await history.record(ref, eur(9.5), T0 + 59 * 60_000)).toBe(false)
    await history.record(ref, eur(9.25), T0 + HOUR)
    expect(await history.series(ref)).toEqual({
      currency: 'EUR',
      points: [
        { at: T0, amount: 9.5 },
        { at: T0 + HOUR, amount: 9.25 },
      ],
    })
  })

  it('keeps at most a year, dropping the oldest hours', async () => {
    const other = { ...ref, userId: 'b'.repeat(24) }
    const start = T0 - 2 * HOUR
    await history.record(other, eur(100), start)
    await history.record(other, eur(99), start + HOUR)
    await history.record(other, eur(98), start + YEAR_HOURS * HOUR)
    const { points } = await history.series(other)
    // The first point is now a year old and gone; the second is the oldest hour still kept.
    expect(points).toEqual([
      { at: start + HOUR, amount: 99 },
      { at: start + YEAR_HOURS * HOUR, amount: 98 },
    ])
  })

  it('loses no read when two instances write the same history at once', async () => {
    const busy = { ...ref, userId: 'c'.repeat(24) }
    const otherClient = await openRedis(prefix)
    try {
      const stores = [history, new BalanceHistory(otherClient)]
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => stores[i % 2]!.record(busy, eur(50 - i), T0 + i * HOUR)),
      )
    } finally {
      otherClient.disconnect()
    }
    const { points } = await history.series(busy)
    expect(points).toEqual(Array.from({ length: 20 }, (_, i) => ({ at: T0 + i * HOUR, amount: 50 - i })))
  })

  it('draws the last 30 days as a sparkline and says when a falling balance runs out', () => {
    const now = T0 + 10 * 24 * HOUR
    const points = Array.from({ length: 11 }, (_, d) => ({ at: T0 + d * 24 * HOUR, amount: 30 - d * 2 }))
    const trend = trendOf({ currency: 'EUR', points }, now)!
    expect(trend.label).toBe('Balance over the last 10 days: from 30.00 EUR to 10.00 EUR')
    expect(trend.line.split(' ')).toHaveLength(11)
    expect(trend.runsOutInDays).toBeCloseTo(5, 5)
    expect(runOutText(trend.runsOutInDays)).toBe('runs out in about 5 days')
    // A top-up resets the rate; a rising balance has no estimate.
    const rising = trendOf({ currency: 'EUR', points: [...points, { at: now + HOUR, amount: 80 }] }, now)!
    expect(rising.runsOutInDays).toBeUndefined()
    expect(trendOf({ currency: 'EUR', points: points.slice(0, 1) }, now)).toBeNull()
  })
})

describe('Redis memory of a full year', () => {
  it('measures MEMORY USAGE of a connection-year of hourly points, worst case and typical', async () => {
    const raw = new Redis(REDIS_URL)
    const sizes: Record<string, number> = {}
    try {
      // A read every hour of the year; the balance moves by 1 to 40 SMS at 0.075 EUR
      // every `every` hours (hourly: the worst case) and is topped up when it runs low.
      const shapes = { changes_every_hour: 1, changes_every_6_hours: 6, changes_daily: 24 }
      for (const [name, every] of Object.entries(shapes)) {
        const who = { ...ref, userId: name.padEnd(24, 'x') }
        const first = 460_000
        const random = seeded(every)
        let units = 5_000_000
        const points = Array.from({ length: YEAR_HOURS }, (_, i) => {
          if (i % every === 0) units -= (1 + Math.floor(random() * 40)) * 750
          if (units < 500_000) units += 5_000_000
          return { hour: first + i, units }
        })
        await redis.set(balanceHistoryKey(who), encodeSeries({ currency: 'EUR', seq: 1, points }))
        // Written through the store once more, so the key is exactly what the app writes.
        const last = points[points.length - 1]!
        await history.record(who, eur(last.units / 10_000 - 1), last.hour * HOUR)
        // The last 30 days hourly, the 335 days before one point a day (each day's last).
        const kept = (await history.series(who)).points
        const newest = kept[kept.length - 1]!.at
        const older = kept.filter((p) => p.at <= newest - HOURLY_HOURS * HOUR)
        expect(kept.length - older.length).toBe(HOURLY_HOURS)
        expect(older.length).toBeGreaterThanOrEqual(334)
        expect(older.length).toBeLessThanOrEqual(336)
        expect(new Set(older.map((p) => Math.floor(p.at / (24 * HOUR)))).size).toBe(older.length)
        sizes[name] = (await raw.memory('USAGE', prefix + balanceHistoryKey(who), 'SAMPLES', 0)) ?? 0
      }
    } finally {
      raw.disconnect()
    }
    const mib = (b: number) => ((b * 100_000) / 2 ** 20).toFixed(0)
    console.log(
      `balance history, one connection-year (read hourly; 30 days hourly, older days daily): ` +
        Object.entries(sizes)
          .map(([k, b]) => `${k} ${b} B (${mib(b)} MiB per 100,000 connections)`)
          .join('; '),
    )
    // About 3 bytes a point; at most ~1,055 points a year: a few hundred MiB per 100,000
    // connections however often balances change (docs/BENCHMARKS.md).
    expect(sizes.changes_every_hour).toBeLessThan(5 * 1024)
    expect(sizes.changes_every_6_hours).toBeLessThan(3 * 1024)
    expect(sizes.changes_daily).toBeLessThan(2 * 1024)
  })
})

/** A small deterministic generator (mulberry32), so the measured figure is repeatable. */
function seeded(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
