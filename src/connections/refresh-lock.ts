import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'

// Delete the lock only if we still own it: a holder whose lock already expired must not
// release the next holder's lock.
const RELEASE_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`

export interface HeldLock {
  key: string
  token: string
}

/**
 * A per-connection mutex shared by every app instance: SET NX PX with a random owner
 * token, released by compare-and-delete. Holders are tracked so a graceful shutdown
 * can release what it holds instead of making others wait out the TTL.
 */
export class RefreshLock {
  private readonly held = new Set<HeldLock>()

  constructor(
    private readonly redis: RedisClient,
    readonly ttlMs = 30_000,
  ) {}

  async tryAcquire(key: string): Promise<HeldLock | null> {
    const token = randomBytes(16).toString('hex')
    const ok = await this.redis.set(key, token, 'PX', this.ttlMs, 'NX')
    if (ok !== 'OK') return null
    const lock = { key, token }
    this.held.add(lock)
    return lock
  }

  async release(lock: HeldLock): Promise<void> {
    this.held.delete(lock)
    await this.redis.eval(RELEASE_SCRIPT, 1, lock.key, lock.token)
  }

  async releaseAll(): Promise<void> {
    await Promise.allSettled([...this.held].map((l) => this.release(l)))
  }
}
