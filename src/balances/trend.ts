import type { BalancePoint, BalanceSeries } from './balance-history.js'

/** What a support row shows of an account's history: a sparkline and a run-out estimate. */
export interface Trend {
  /** `points` attribute of the sparkline's polyline, in a WIDTH × HEIGHT box. */
  line: string
  /** Says in words what the line shows (the SVG's title and label). */
  label: string
  /** Days until the balance reaches zero at the current rate, when it is falling. */
  runsOutInDays?: number
  /** What the label says, for pages that say it in the reader's language. */
  days: number
  from: { amount: number; currency: string }
  to: { amount: number; currency: string }
}

export const SPARK_WIDTH = 80
export const SPARK_HEIGHT = 20
export const TREND_DAYS = 30
const DAY_MS = 86_400_000
const PAD = 1.5

/** The sparkline and estimate for the last 30 days, or null with fewer than two points. */
export function trendOf(series: BalanceSeries, now = Date.now()): Trend | null {
  const points = series.points.filter((p) => p.at >= now - TREND_DAYS * DAY_MS)
  if (points.length < 2) return null
  const first = points[0]!
  const last = points[points.length - 1]!
  const amounts = points.map((p) => p.amount)
  const lo = Math.min(...amounts)
  const span = Math.max(...amounts) - lo || 1
  const width = Math.max(1, last.at - first.at)
  const line = points
    .map((p) => {
      const x = PAD + ((p.at - first.at) / width) * (SPARK_WIDTH - 2 * PAD)
      const y = SPARK_HEIGHT - PAD - ((p.amount - lo) / span) * (SPARK_HEIGHT - 2 * PAD)
      return `${x.toFixed(1)},${y.toFixed(1)}`
    })
    .join(' ')
  const days = Math.max(1, Math.round((last.at - first.at) / DAY_MS))
  const money = (n: number) => `${n.toFixed(2)} ${series.currency}`
  return {
    line,
    label: `Balance over the last ${days} day${days === 1 ? '' : 's'}: from ${money(first.amount)} to ${money(last.amount)}`,
    runsOutInDays: runsOutInDays(points),
    days,
    from: { amount: first.amount, currency: series.currency },
    to: { amount: last.amount, currency: series.currency },
  }
}

/**
 * Days to zero at the rate since the last top-up (a rise resets the rate): a least-squares
 * slope over the falling stretch, which needs at least two points and a positive balance.
 */
export function runsOutInDays(points: BalancePoint[]): number | undefined {
  let start = points.length - 1
  while (start > 0 && points[start - 1]!.amount >= points[start]!.amount) start--
  const run = points.slice(start)
  const last = run[run.length - 1]
  if (run.length < 2 || !last || last.amount <= 0) return undefined
  const mx = run.reduce((s, p) => s + p.at, 0) / run.length
  const my = run.reduce((s, p) => s + p.amount, 0) / run.length
  let num = 0
  let den = 0
  for (const p of run) {
    num += (p.at - mx) * (p.amount - my)
    den += (p.at - mx) ** 2
  }
  const perMs = den === 0 ? 0 : num / den
  if (perMs >= 0) return undefined
  return last.amount / -perMs / DAY_MS
}

/** Whole days to show for an estimate (0: less than a day), or undefined when none is worth showing. */
export function runOutDays(days: number | undefined): number | undefined {
  if (days === undefined || days > 365) return undefined
  return days < 1 ? 0 : Math.round(days)
}

/** The estimate in words, or '' when there is none worth showing (over a year away). */
export function runOutText(days: number | undefined): string {
  if (days === undefined || days > 365) return ''
  if (days < 1) return 'runs out in less than a day'
  const n = Math.round(days)
  return `runs out in about ${n} day${n === 1 ? '' : 's'}`
}
