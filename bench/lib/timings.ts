export interface TimingTotals {
  count: number
  totalMs: number
}

/** Sums of durations by key (an endpoint path), read and reset between benchmark phases. */
export class Timings {
  private totals = new Map<string, TimingTotals>()

  add(key: string, ms: number): void {
    const t = this.totals.get(key) ?? { count: 0, totalMs: 0 }
    t.count++
    t.totalMs += ms
    this.totals.set(key, t)
  }

  /** Everything recorded since the last take, then starts afresh. */
  take(): Record<string, TimingTotals> {
    const out = Object.fromEntries(this.totals)
    this.totals = new Map()
    return out
  }
}

/** The mean duration of the keys that end with `suffix` (e.g. `/token`), or 0. */
export function meanOf(
  totals: Record<string, TimingTotals>,
  suffix: string,
): TimingTotals & { meanMs: number } {
  let count = 0
  let totalMs = 0
  for (const [key, t] of Object.entries(totals)) {
    if (!key.endsWith(suffix)) continue
    count += t.count
    totalMs += t.totalMs
  }
  return { count, totalMs, meanMs: count ? totalMs / count : 0 }
}
