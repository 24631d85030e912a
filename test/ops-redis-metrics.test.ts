import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMetrics } from '../src/ops/metrics.js'
import { observeRedis } from '../src/ops/redis-metrics.js'
import { openRedis, uniquePrefix } from './helpers/redis.js'
import { freePort, startRedisServer, type RedisServer } from './helpers/redis-server.js'

/**
 * `redis_command_timeouts_total` and `switchboard_ready`, against the shared Redis and
 * against a throwaway one that hangs (SIGSTOP: connections stay open, no answer comes).
 */
let hung: RedisServer

beforeAll(async () => {
  hung = await startRedisServer(await freePort())
})
afterAll(async () => {
  process.kill(hung.proc.pid!, 'SIGCONT')
  await hung.stop()
})

function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.split(' ')[1])
}

describe('Redis metrics', () => {
  it('a Redis that answers: ready, no timeouts', async () => {
    const redis = await openRedis(uniquePrefix('redis-metrics'))
    try {
      const metrics = createMetrics()
      observeRedis(metrics, redis)
      await redis.set('k', 'v')
      expect(await redis.get('k')).toBe('v')
      const text = await metrics.registry.metrics()
      expect(sample(text, 'switchboard_ready')).toBe(1)
      expect(sample(text, 'redis_command_timeouts_total')).toBe(0)
      await redis.del('k')
    } finally {
      redis.disconnect()
    }
  })

  it('a hung Redis: each timed-out command counted (pipelined ones too), not ready', async () => {
    const redis = new Redis({
      host: '127.0.0.1',
      port: hung.port,
      commandTimeout: 50,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    })
    redis.on('error', () => {})
    try {
      await redis.connect()
      const metrics = createMetrics()
      observeRedis(metrics, redis)
      process.kill(hung.proc.pid!, 'SIGSTOP')
      await expect(redis.get('a')).rejects.toThrow('Command timed out')
      const both = await Promise.allSettled([redis.get('b'), redis.get('c')])
      expect(both.map((r) => r.status)).toEqual(['rejected', 'rejected'])
      const piped = await redis.pipeline().get('d').get('e').exec()
      expect(piped?.map(([err]) => err?.message)).toEqual(['Command timed out', 'Command timed out'])
      expect(sample(await metrics.registry.metrics(), 'switchboard_ready')).toBe(0)
      // The scrape's readiness PING timed out too (at 50 ms here), counted like any other command.
      const timeouts = await metrics.registry.getSingleMetricAsString('redis_command_timeouts_total')
      expect(sample(timeouts, 'redis_command_timeouts_total')).toBe(6)
    } finally {
      process.kill(hung.proc.pid!, 'SIGCONT')
      redis.disconnect()
    }
  })
})
