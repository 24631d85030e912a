import { Router } from 'express'
import type { RedisClient } from '../redis/client.js'

/** Liveness and readiness for orchestrators; mounted before sessions so they never touch one. */
export function healthRoutes(redis: RedisClient, pingTimeoutMs = 1_000): Router {
  const r = Router()
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  r.get('/readyz', async (_req, res) => {
    const reason = await pingWithin(redis, pingTimeoutMs)
    res.status(reason ? 503 : 200).json(reason ? { status: 'unavailable', reason } : { status: 'ready' })
  })
  return r
}

/** True when Redis answers a PING within `ms`: what `/readyz` says, for the `switchboard_ready` gauge. */
export async function redisReady(redis: RedisClient, ms = 1_000): Promise<boolean> {
  return (await pingWithin(redis, ms)) === undefined
}

async function pingWithin(redis: RedisClient, ms: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`redis did not answer within ${ms} ms`), ms)
  })
  try {
    return await Promise.race([redis.ping().then(() => undefined), timeout])
  } catch (err) {
    return `redis: ${err instanceof Error ? err.message : String(err)}`
  } finally {
    clearTimeout(timer)
  }
}
