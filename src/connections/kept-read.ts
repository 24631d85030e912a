import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { keptReadKey } from '../redis/keys.js'
import type { AccountProfile } from '../providers/types.js'
import type { ConnectionRef } from './record.js'
import type { KeptAnswer, KeptPeek, KeptReadDeps, Reading, ReadOptions } from './kept-read-types.js'

export type { KeptAnswer, KeptPeek, KeptReadDeps, ReadOptions } from './kept-read-types.js'
import {
  BODY,
  CLEAR,
  EPOCH,
  FAILED,
  FAIL,
  KEEP_BODY,
  PEEK_OR_LOCK,
  RESTAMP,
  STAMP,
  VALUE,
  WRITE,
} from './kept-read-scripts.js'

/** How often one connection may be read fresh on request (DESIGN.md: rate-limited per connection). */
export const FRESH_EVERY_MS = 10_000

/**
 * One kept read per connection for every caller (the dashboard, the API, MCP, the support
 * console, keep-alive): the provider's answer kept 30 s in Redis beside the connection, one
 * provider call for all concurrent misses on every instance (a short lock; the others wait
 * for its answer, bounded, then read themselves), cleared by the lifecycle's changes
 * (follow-ups.ts) through a new epoch, so a read under way when the connection was
 * disconnected or reconnected is never kept, and never answered: it is read again.
 */
export class KeptRead {
  private readonly local = new Map<string, Promise<Reading>>()
  private readonly lockMs: number
  private readonly ttlMs: number
  private readonly waitMs: number
  private readonly pollMs: number
  private readonly now: () => number

  constructor(private readonly deps: KeptReadDeps) {
    this.ttlMs = deps.ttlMs ?? 30_000
    this.waitMs = deps.waitMs ?? 5_000
    this.pollMs = deps.pollMs ?? 15
    this.now = deps.now ?? Date.now
    // The lock outlives a provider call that hangs to its timeout; its holder releases it.
    this.lockMs = this.waitMs + 5_000
  }

  /** The kept read and its answer, in one round trip; a read older than 30 s is not returned. */
  async peek(ref: ConnectionRef): Promise<KeptPeek> {
    const key = keptReadKey(ref)
    const [epoch, stamp, value] = await this.deps.redis.hmget(key, EPOCH, STAMP, VALUE)
    const out: KeptPeek = { epoch: epoch ?? '', stamp: stamp ?? '' }
    if (!value) return out
    const v = JSON.parse(value) as { p: AccountProfile; at: number }
    if (this.now() - v.at >= this.ttlMs) return out
    out.read = { profile: v.p, readAt: v.at }
    return out
  }

  /** The kept answer alone (one HGET, nothing parsed) while its read is fresh, else undefined. */
  async keptBody(ref: ConnectionRef): Promise<string | undefined> {
    const kept = await this.deps.redis.hget(keptReadKey(ref), BODY)
    const cut = kept?.indexOf('\n') ?? -1
    if (!kept || cut < 0 || this.now() - Number(kept.slice(0, cut)) >= this.ttlMs) return undefined
    return kept.slice(cut + 1)
  }

  /** The connection's balance and profile, at most 30 s old (or read now when `fresh`). */
  async read(ref: ConnectionRef, opts: ReadOptions = {}): Promise<KeptAnswer> {
    const { followUp, ...answer } = await this.readOnce(ref, opts)
    if (!followUp) return answer
    if (opts.early) return { ...answer, settled: followUp.catch(() => undefined) }
    await followUp
    return answer
  }

  /** One read per connection in this process for all who ask at once. */
  private readOnce(ref: ConnectionRef, opts: ReadOptions): Promise<Reading> {
    const id = `${keptReadKey(ref)}${opts.fresh ? ':fresh' : ''}`
    const running = this.local.get(id)
    if (running) return running
    const reading = this.readShared(ref, opts)
    const work = (this.deps.track?.(reading) ?? reading).finally(() => this.local.delete(id))
    this.local.set(id, work)
    return work
  }

  /** Keeps an answer built from the read of `readAt` while it is still the kept one. */
  async keepBody(ref: ConnectionRef, answer: KeptAnswer, body: string): Promise<boolean> {
    const args = [answer.epoch, answer.stamp, String(answer.readAt), body]
    return (await this.deps.redis.eval(KEEP_BODY, 1, keptReadKey(ref), ...args)) === 1
  }

  /**
   * Whether an explicit fresh read (`?fresh=true`, the Refresh button) may go to the provider
   * now: one per connection per `everyMs`, on every instance. 0 when it may, else the ms to wait.
   */
  async mayReadFresh(ref: ConnectionRef, everyMs = FRESH_EVERY_MS): Promise<number> {
    const key = keptReadKey(ref, ':fresh')
    if ((await this.deps.redis.set(key, '1', 'PX', everyMs, 'NX')) === 'OK') return 0
    return Math.max(1, await this.deps.redis.pttl(key))
  }

  /** What answers say beside the read changed (status, name): answers built before are dropped. */
  async restamp(ref: ConnectionRef): Promise<void> {
    await this.deps.redis.eval(RESTAMP, 1, keptReadKey(ref), randomBytes(8).toString('hex'))
  }

  /** Forgets the kept read; reads under way when it is called are neither kept nor answered. */
  async clear(ref: ConnectionRef): Promise<void> {
    await this.deps.redis.eval(CLEAR, 1, keptReadKey(ref), randomBytes(8).toString('hex'))
  }

  private async readShared(ref: ConnectionRef, opts: ReadOptions): Promise<Reading> {
    const asked = this.now()
    let known = opts.known
    // A clear while reading means the answer may be another account's: read again, once.
    for (let round = 0; ; round++) {
      const token = randomBytes(16).toString('hex')
      const lock = keptReadKey(ref, ':lock')
      const args = [this.now(), this.ttlMs, opts.fresh ? '1' : '0', asked, token, this.lockMs].map(String)
      const [epoch, stamp, value, took] = (await this.deps.redis.eval(
        PEEK_OR_LOCK,
        2,
        keptReadKey(ref),
        lock,
        ...args,
      )) as [string, string, string, number]
      const marks = { epoch, stamp }
      if (value) {
        const v = JSON.parse(value) as { p: AccountProfile; at: number }
        return { profile: v.p, readAt: v.at, kept: true, ...marks }
      }
      const locked = took === 1
      if (!locked) {
        const waited = await this.waitForOther(ref, asked, opts.fresh ?? false, marks)
        if (waited) return waited
      }
      const held = locked ? token : ''
      try {
        const answer = await this.readProvider(ref, marks, known, held)
        if (answer || round > 0) return answer ?? (await this.readProvider(ref, null, undefined, ''))!
      } catch (err) {
        if (locked) await this.deps.redis.eval(FAIL, 2, keptReadKey(ref), lock, String(this.now()), held)
        throw err
      }
      known = undefined
    }
  }

  /** Reads at the provider; stores it under `epoch`. Null when a clear came in between. */
  private async readProvider(
    ref: ConnectionRef,
    marks: { epoch: string; stamp: string } | null,
    known: ReadOptions['known'],
    held: string,
  ): Promise<Reading | null> {
    const record = (await known) ?? undefined
    const profile = await this.deps.use(ref, (ctx, p) => p.fetchProfile(ctx), record)
    const answer = { profile, readAt: this.now(), kept: false, epoch: '', stamp: '', ...marks }
    if (marks === null) return answer
    const value = JSON.stringify({ p: profile, at: answer.readAt })
    const keys = [keptReadKey(ref), keptReadKey(ref, ':lock')]
    if ((await this.deps.redis.eval(WRITE, 2, ...keys, marks.epoch, value, held)) !== 1) return null
    if (!this.deps.onRead) return answer
    const followUp = this.deps.onRead(ref, answer)
    void (this.deps.track?.(followUp) ?? followUp).catch(() => undefined)
    return { ...answer, followUp }
  }

  /** Waits for the read another caller holds the lock for; undefined when it failed or took too long. */
  private async waitForOther(
    ref: ConnectionRef,
    asked: number,
    fresh: boolean,
    marks: { epoch: string; stamp: string },
  ): Promise<KeptAnswer | undefined> {
    const key = keptReadKey(ref)
    const until = this.now() + this.waitMs
    while (this.now() < until) {
      await sleep(this.pollMs)
      const [value, failed] = await this.deps.redis.hmget(key, VALUE, FAILED)
      if (value) {
        const v = JSON.parse(value) as { p: AccountProfile; at: number }
        // A read finished after this caller asked answers it, whatever the TTL (even none).
        if (v.at >= asked || (!fresh && this.now() - v.at < this.ttlMs))
          return { profile: v.p, readAt: v.at, kept: true, ...marks }
      }
      if (failed && Number(failed) >= asked) return undefined
    }
    return undefined
  }
}
