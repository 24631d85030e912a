import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** The run's own namespace on the shared Redis (never FLUSHALL: other work lives there). */
export function benchPrefix(): string {
  return `sbbench:${randomBytes(4).toString('hex')}:`
}

/** A client without key prefix, for SCAN, MEMORY USAGE and clean-up under the bench's prefix. */
export function rawRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 2 })
}

export async function scanKeys(raw: Redis, match: string, limit = Infinity): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', match, 'COUNT', 1000)
    found.push(...keys)
    cursor = next
  } while (cursor !== '0' && found.length < limit)
  return found
}

export async function countKeys(raw: Redis, match: string): Promise<number> {
  return (await scanKeys(raw, match)).length
}

/** Deletes every key under the prefix. */
export async function dropPrefix(raw: Redis, prefix: string): Promise<number> {
  let removed = 0
  let cursor = '0'
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    if (keys.length) removed += await raw.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
  return removed
}

/** Sum of MEMORY USAGE (exact: SAMPLES 0) over the keys. */
export async function memoryOf(raw: Redis, keys: string[]): Promise<number> {
  let total = 0
  for (let i = 0; i < keys.length; i += 500) {
    const p = raw.pipeline()
    for (const k of keys.slice(i, i + 500)) p.call('MEMORY', 'USAGE', k, 'SAMPLES', '0')
    for (const [, v] of (await p.exec()) ?? []) total += Number(v ?? 0)
  }
  return total
}
