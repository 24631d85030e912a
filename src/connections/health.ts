import { AppError } from '../errors/app-error.js'
import type { RedisClient } from '../redis/client.js'
import { connectionKey, tenantCheckedKey, tenantHealthKey } from '../redis/keys.js'
import type { StatusReason } from '../providers/status.js'
import { CLAIM_ATTEMPT, DEGRADE, MARK_DEAD, RECOVER } from './health-scripts.js'
import { memberOf } from './member.js'
import type { ConnectionRecord, ConnectionRef, ConnectionStatus } from './record.js'

/** 30 s after the first passing failure, doubling up to 60 minutes (DESIGN.md). */
export const BACKOFF_BASE_MS = 30_000
export const BACKOFF_MAX_MS = 60 * 60_000

export interface HealthTimings {
  baseMs?: number
  maxMs?: number
  /** The clock back-off is measured by (tests step it instead of waiting). */
  now?: () => number
}

/**
 * How a caller was let through to the provider: `probe` when it holds the back-off step's
 * one attempt; `step` is the back-off step it was admitted at (0 when not backing off).
 */
export interface Admission {
  probe: boolean
  step: number
}

/**
 * A connection's health in Redis, shared by every instance: the status moves between
 * connected, degraded and needs reconnect (health-scripts.ts) and the back-off that keeps a
 * failing provider from being called more than once per step. Only the lifecycle uses it.
 */
export class ConnectionHealth {
  readonly baseMs: number
  readonly maxMs: number
  readonly now: () => number

  constructor(
    private readonly redis: RedisClient,
    timings: HealthTimings = {},
  ) {
    this.baseMs = timings.baseMs ?? BACKOFF_BASE_MS
    this.maxMs = timings.maxMs ?? BACKOFF_MAX_MS
    this.now = timings.now ?? Date.now
  }

  /**
   * Lets a call through unless the connection is backing off; throws `provider_unavailable`
   * at once (no provider call) while it waits. A healthy record costs no Redis command.
   */
  async admit(record: ConnectionRecord, label: string): Promise<Admission> {
    if (record.status !== 'degraded') return { probe: false, step: 0 }
    const step = record.backoff?.step ?? 0
    if (record.backoff && this.now() < record.backoff.until) throw backingOff(label)
    const claimed = await this.redis.eval(
      CLAIM_ATTEMPT,
      1,
      connectionKey(record.ref),
      record.generation,
      String(this.now()),
      String(this.baseMs),
      String(this.maxMs),
    )
    // Not backing off any more (2), or no longer this connection (-1: reconnected or removed).
    if (claimed === 2 || claimed === -1) return { probe: false, step: 0 }
    if (claimed === 1) return { probe: true, step }
    throw backingOff(label)
  }

  /**
   * Records a passing failure seen by a caller admitted at `step`; returns the status the
   * connection had before when this failure was the one counted, else null.
   */
  async degrade(record: ConnectionRecord, step: number): Promise<ConnectionStatus | null> {
    const [counted, before] = (await this.redis.eval(
      DEGRADE,
      2,
      ...this.keys(record.ref).slice(0, 2),
      record.generation,
      memberOf(record.ref),
      String(step),
      String(this.now()),
      String(this.baseMs),
      String(this.maxMs),
    )) as [number, string]
    return counted === 1 ? (before as ConnectionStatus) : null
  }

  /** Back to `connected` after a success; true only for the one caller that made the move. */
  async recover(record: ConnectionRecord): Promise<boolean> {
    const args = [record.generation, memberOf(record.ref), String(this.now())]
    return (await this.redis.eval(RECOVER, 2, ...this.keys(record.ref).slice(0, 2), ...args)) === 1
  }

  /** Needs reconnect for `reason`; the status before, or null when the connection changed meanwhile. */
  markDead(record: ConnectionRecord, reason: StatusReason): Promise<ConnectionStatus | null> {
    return markDead(this.redis, record.ref, record.generation, reason, this.now())
  }

  private keys(ref: ConnectionRef): string[] {
    return [connectionKey(ref), tenantHealthKey(ref.tenantId), tenantCheckedKey(ref.tenantId)]
  }
}

/** Runs MARK_DEAD (health-scripts.ts); the status before, or null when fenced off. */
export async function markDead(
  redis: RedisClient,
  ref: ConnectionRef,
  generation: string,
  reason: string,
  now: number,
): Promise<ConnectionStatus | null> {
  const keys = [connectionKey(ref), tenantHealthKey(ref.tenantId), tenantCheckedKey(ref.tenantId)]
  const args = [generation, memberOf(ref), reason, String(now)]
  const [marked, before] = (await redis.eval(MARK_DEAD, 3, ...keys, ...args)) as [number, string?]
  return marked === 1 ? ((before ?? 'connected') as ConnectionStatus) : null
}

/** What a caller gets while the connection backs off: answered at once, never by the provider. */
export class BackingOff extends AppError {
  constructor(label: string) {
    super('provider_unavailable', `${label} is temporarily unavailable; Switchboard tries again shortly.`, {
      status: 503,
      expose: true,
    })
  }
}

function backingOff(label: string): BackingOff {
  return new BackingOff(label)
}
