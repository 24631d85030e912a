import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { AppError } from '../errors/app-error.js'
import type { RedisClient } from '../redis/client.js'
import { organisationIdempotencyKey } from '../redis/tenant-api.js'

export interface StoredAnswer {
  status: number
  body: unknown
}

interface Entry {
  state: 'pending' | 'done'
  request: string
  token?: string
  answer?: StoredAnswer
}

export interface IdempotencyOptions {
  ttlSec?: number
  pendingSec?: number
  waitMs?: number
  pollMs?: number
}

// Stores the answer only over this request's own reservation (or none, if it lapsed).
const FINISH = `
local cur = redis.call('GET', KEYS[1])
if cur and string.find(cur, ARGV[1], 1, true) == nil then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`
const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.find(cur, ARGV[1], 1, true) then return redis.call('DEL', KEYS[1]) end
return 0`

export function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex')
}

/**
 * Exactly-once POSTs under an `Idempotency-Key` (the IETF httpapi draft's header), per
 * organisation: every API key of a tenant, and its MCP calls, share one space of keys, so a
 * retry through another of the organisation's keys (a rotated key, a second worker) still
 * sends once.
 *
 * 1. The key is reserved atomically (`SET NX`) with a digest of the request, for a short
 *    while (a crashed sender frees it again after `pendingSec`).
 * 2. The reserver does the work; its first answer replaces the reservation and is kept for
 *    24 hours. A failure frees the key, so the client may retry with it.
 * 3. Anyone else with the same key: another request digest → 422; a stored answer → that
 *    answer again, nothing done; a reservation → waits for the answer (polling, up to
 *    `waitMs`), then 409 "in progress". Two identical requests at once thus do the work once
 *    and both get the same answer.
 */
export class IdempotencyStore {
  private readonly ttlSec: number
  private readonly pendingSec: number
  private readonly waitMs: number
  private readonly pollMs: number

  constructor(
    private readonly redis: RedisClient,
    opts: IdempotencyOptions = {},
  ) {
    this.ttlSec = opts.ttlSec ?? 24 * 60 * 60
    this.pendingSec = opts.pendingSec ?? 60
    this.waitMs = opts.waitMs ?? 10_000
    this.pollMs = opts.pollMs ?? 50
  }

  /** The answer to this request under `idemKey`: new, or the first one again (`replayed`). */
  async run(
    tenantId: string,
    idemKey: string,
    requestDigest: string,
    work: () => Promise<StoredAnswer>,
  ): Promise<StoredAnswer & { replayed: boolean }> {
    const key = organisationIdempotencyKey(tenantId, digest(idemKey))
    const deadline = Date.now() + this.waitMs
    for (;;) {
      const token = randomBytes(12).toString('hex')
      const pending: Entry = { state: 'pending', request: requestDigest, token }
      const reserved = await this.redis.set(key, JSON.stringify(pending), 'EX', this.pendingSec, 'NX')
      if (reserved === 'OK')
        return { ...(await this.perform(key, requestDigest, token, work)), replayed: false }
      const raw = await this.redis.get(key)
      if (raw === null) continue
      const entry = JSON.parse(raw) as Entry
      if (entry.request !== requestDigest)
        throw new AppError(
          'idempotency_key_reused',
          'This Idempotency-Key was first used with another request body; use a new key.',
          { status: 422 },
        )
      if (entry.state === 'done' && entry.answer) return { ...entry.answer, replayed: true }
      if (Date.now() >= deadline)
        throw new AppError(
          'idempotency_in_progress',
          'A request with this Idempotency-Key is still being processed; retry shortly.',
          { status: 409 },
        )
      await sleep(this.pollMs)
    }
  }

  private async perform(
    key: string,
    request: string,
    token: string,
    work: () => Promise<StoredAnswer>,
  ): Promise<StoredAnswer> {
    let answer: StoredAnswer
    try {
      answer = await work()
    } catch (err) {
      await this.redis.eval(RELEASE, 1, key, token).catch(() => undefined)
      throw err
    }
    const done: Entry = { state: 'done', request, answer }
    await this.redis.eval(FINISH, 1, key, token, JSON.stringify(done), String(this.ttlSec))
    return answer
  }
}
