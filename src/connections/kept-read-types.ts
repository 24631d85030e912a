import type { AccountProfile, CallContext, Provider } from '../providers/types.js'
import type { RedisClient } from '../redis/client.js'
import type { ConnectionRecord, ConnectionRef } from './record.js'

/** A connection's balance and profile as the provider answered it, and when (`readAt`, ms). */
export interface KeptAnswer {
  profile: AccountProfile
  readAt: number
  /** True when it came from the kept read, false when this call read the provider. */
  kept: boolean
  /** The kept read's epoch and stamp it was found under (for `keepBody`). */
  epoch: string
  stamp: string
  /**
   * On an `early` answer the provider just gave: settles (never rejects) once what follows
   * the read (support index, balance history) is done, for the caller to await before it
   * answers, so its own work overlaps that follow-up.
   */
  settled?: Promise<void>
}

/** What one Redis round trip finds: the epoch and stamp, and the read if still fresh. */
export interface KeptPeek {
  epoch: string
  stamp: string
  read?: { profile: AccountProfile; readAt: number }
}

export interface KeptReadDeps {
  redis: RedisClient
  /** The lifecycle's admitted use of a grant (health, back-off, refresh under the lock). */
  use<T>(
    ref: ConnectionRef,
    call: (ctx: CallContext, p: Provider) => Promise<T>,
    known?: ConnectionRecord,
  ): Promise<T>
  /** Told of each read the provider answered and that was kept (support index, balance history). */
  onRead?(ref: ConnectionRef, answer: KeptAnswer): Promise<void>
  /** How long a read is kept (DESIGN.md: a balance at most 30 s old). */
  ttlMs?: number
  /** How long a caller waits for another instance's read before reading itself. */
  waitMs?: number
  pollMs?: number
  now?: () => number
  /** Shutdown waits for reads under way: a read cut off would leave its lock to lapse. */
  track?<T>(work: Promise<T>): Promise<T>
}

export interface ReadOptions {
  /** Skip what is kept: read the provider now (still one read for all who ask at once). */
  fresh?: boolean
  /**
   * A record the caller has just read (saves a read of it), or is reading: the kept read's
   * first round trip then goes out beside it, and the record is awaited only for a provider call.
   */
  known?: ConnectionRecord | Promise<ConnectionRecord | null>
  /** Answer once the read is kept, before its follow-up is done (see `KeptAnswer.settled`). */
  early?: boolean
}

export type Reading = KeptAnswer & { followUp?: Promise<void> }
