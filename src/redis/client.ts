import { Redis } from 'ioredis'

export type { Redis } from 'ioredis'

/**
 * One ioredis client per process. `keyPrefix` namespaces every key, so tests and
 * several deployments can share one server without touching each other's data.
 */
export function createRedis(url: string, keyPrefix: string): Redis {
  return new Redis(url, {
    keyPrefix,
    // Fail commands fast while Redis is away instead of queueing them forever; the
    // app answers 503 and ioredis keeps reconnecting in the background.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: true,
  })
}

/** Connects and PINGs within `timeoutMs`, or throws an error naming the URL (password masked). */
export async function connectRedis(redis: Redis, url: string, timeoutMs = 5_000): Promise<void> {
  const masked = url.replace(/\/\/([^@/]*)@/, '//***@')
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Redis at ${masked} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
  })
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), timeout])
  } catch (err) {
    redis.disconnect()
    const reason = err instanceof Error ? err.message : String(err)
    throw new Error(`cannot reach Redis at ${masked}: ${reason}`, { cause: err })
  } finally {
    clearTimeout(timer)
  }
}
