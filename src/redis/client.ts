import { Cluster, Redis, type RedisOptions } from 'ioredis'
import { describeTarget, type RedisTarget } from './target.js'

// Kept for tools and tests that open a plain single-server client.
export type { Redis } from 'ioredis'

/**
 * What the app talks to: one server (URL or Sentinel) or a Cluster. Both share ioredis's
 * command API; keys that must be used together carry a hash tag (`t:{tenant}:…`) so every
 * MULTI, pipeline and script stays within one Cluster slot.
 */
export type RedisClient = Redis | Cluster

const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2_000)

/**
 * How long one command may wait for its answer. The contract answers every request within
 * 10 s even when Redis hangs (stopped, or a network that drops packets and keeps the socket
 * open), and a page makes a few round trips one after another (session, user, page data,
 * the session's touch at the end): 4 × 2 s stays under 10 s. Redis answers in well under a
 * millisecond, so 2 s only ever fires on a Redis that is not answering at all.
 *
 * It applies to every command on these clients, blocking ones too: a BLPOP/XREAD BLOCK or
 * BullMQ worker would be cut off after 2 s, so they must use their own connection without
 * `commandTimeout` (BullMQ opens its own), never this client or a `duplicate()` of it.
 */
export const COMMAND_TIMEOUT_MS = 2_000

// Fail commands fast while Redis is away or hung instead of queueing them forever; the app
// answers 503 and ioredis keeps reconnecting in the background.
const COMMON: RedisOptions = {
  // Commands issued in the same tick share one round trip (measured in bench/: a page
  // issues several independent reads).
  enableAutoPipelining: true,
  commandTimeout: COMMAND_TIMEOUT_MS,
  // A command queued while disconnected fails at the first failed reconnect; with the
  // timeout above it never waits longer than 2 s either way.
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
  // Below the 10 s budget: a server that accepts TCP but never finishes the handshake.
  connectTimeout: 3_000,
  // Notices a peer that vanished without a FIN (a dead host, a dropped route).
  keepAlive: 10_000,
  retryStrategy,
}

/** Username, password, database and TLS from REDIS_URL, for Sentinel and Cluster data nodes. */
function fromUrl(url: string): RedisOptions {
  const u = new URL(url)
  const db = Number(u.pathname.slice(1))
  return {
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number.isInteger(db) && db > 0 ? db : undefined,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  }
}

/**
 * One client per process, not yet connected (see `connectRedis`). `keyPrefix` namespaces
 * every key, so tests and several deployments can share one server or cluster.
 */
export function createRedis(url: string, keyPrefix: string): Redis
export function createRedis(target: RedisTarget, keyPrefix: string): RedisClient
export function createRedis(target: string | RedisTarget, keyPrefix: string): RedisClient {
  return open(target, keyPrefix, COMMON)
}

/**
 * BullMQ's connection: no key prefix (BullMQ has its own, see jobs/), no command timeout
 * (its workers block waiting for jobs) and commands retried until Redis is back, as
 * BullMQ requires. Never used for requests.
 */
export function createJobsRedis(target: RedisTarget): RedisClient {
  return open(target, '', {
    ...COMMON,
    enableAutoPipelining: false,
    commandTimeout: undefined,
    maxRetriesPerRequest: null,
  })
}

function open(target: string | RedisTarget, keyPrefix: string, common: RedisOptions): RedisClient {
  const t: RedisTarget = typeof target === 'string' ? { kind: 'single', url: target } : target
  if (t.kind === 'single') return new Redis(t.url, { ...common, keyPrefix, lazyConnect: true })
  if (t.kind === 'sentinel') {
    return new Redis({
      ...common,
      ...fromUrl(t.url),
      sentinels: t.sentinels,
      name: t.name,
      sentinelRetryStrategy: retryStrategy,
      keyPrefix,
      lazyConnect: true,
    })
  }
  const { db: _clusterHasNoDb, ...auth } = fromUrl(t.url)
  return new Cluster(t.nodes, {
    // ioredis copies redisOptions.keyPrefix to the Cluster, which prefixes before hashing.
    redisOptions: { ...common, ...auth, keyPrefix },
    clusterRetryStrategy: retryStrategy,
    enableOfflineQueue: true,
    lazyConnect: true,
  })
}

/** Connects and PINGs within `timeoutMs`, or throws an error naming the target (password masked). */
export async function connectRedis(
  redis: RedisClient,
  where: string | RedisTarget,
  timeoutMs = 5_000,
): Promise<void> {
  const masked = describeTarget(typeof where === 'string' ? { kind: 'single', url: where } : where)
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
