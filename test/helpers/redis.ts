import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { createRedis } from '../../src/redis/client.js'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A fresh key prefix per test file (and run), so parallel runs on one server never collide. */
export function uniquePrefix(name: string): string {
  return `sbtest:${name}:${randomBytes(4).toString('hex')}:`
}

export async function openRedis(prefix: string) {
  const redis = createRedis(REDIS_URL, prefix)
  await redis.connect()
  return redis
}

/** Deletes every key under the prefix (never FLUSHALL: the server is shared). */
export async function dropPrefix(prefix: string): Promise<void> {
  const raw = new Redis(REDIS_URL)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      if (keys.length) await raw.del(...keys)
      cursor = next
    } while (cursor !== '0')
  } finally {
    raw.disconnect()
  }
}

/** Raw keys under a prefix (without it), to assert what is stored at rest. */
export async function keysUnder(prefix: string): Promise<string[]> {
  const raw = new Redis(REDIS_URL)
  try {
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      found.push(...keys.map((k) => k.slice(prefix.length)))
      cursor = next
    } while (cursor !== '0')
    return found
  } finally {
    raw.disconnect()
  }
}
