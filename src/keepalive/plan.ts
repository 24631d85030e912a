/**
 * The keep-alive timings derived from CONNECTION_KEEPALIVE_SECONDS, so that every
 * connection is used within the period although it is only found by a sweep and then
 * waits a random delay:
 *
 * - one sweep for the whole deployment every quarter period, at most hourly;
 * - each job is delayed by a random jitter of up to half a sweep interval, so connections
 *   made at the same moment (an import, a backfill) are spread instead of refreshed at once;
 * - a connection is due once `period - lead` has passed since its last check, where
 *   `lead = sweep + jitter`: found and run at the latest at the end of its period.
 *
 * With the default day: a sweep hourly, jitter up to 30 min, each connection used every
 * 22.5 to 24 hours.
 */
export interface KeepalivePlan {
  periodMs: number
  sweepEveryMs: number
  maxJitterMs: number
  /** Checked at or before `now - dueAfterMs` means due. */
  dueAfterMs: number
  /** A passing failure is retried this many times in all, with exponential back-off from `backoffMs`. */
  attempts: number
  backoffMs: number
}

const HOUR_MS = 3_600_000

export function keepalivePlan(periodSec: number): KeepalivePlan {
  const periodMs = periodSec * 1000
  const sweepEveryMs = Math.max(250, Math.round(Math.min(periodMs / 4, HOUR_MS)))
  const maxJitterMs = Math.round(sweepEveryMs / 2)
  return {
    periodMs,
    sweepEveryMs,
    maxJitterMs,
    dueAfterMs: Math.max(0, periodMs - sweepEveryMs - maxJitterMs),
    attempts: 5,
    // 1/32 of the period, between 200 ms and a minute: five attempts span about half a period.
    backoffMs: Math.round(Math.min(60_000, Math.max(200, periodMs / 32))),
  }
}

/** The random delay of one job: uniform in [0, maxJitterMs]. */
export function jitter(plan: KeepalivePlan, random = Math.random): number {
  return Math.floor(random() * (plan.maxJitterMs + 1))
}
