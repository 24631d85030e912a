import { percentile } from './load.js'

interface Span {
  start: number
  end: number
}

export interface PhaseMedians {
  pages: number
  /** From the request's arrival to its first provider call. */
  beforeCallsMs: number
  /** From the first provider call's start to the last one's end (the fan-out). */
  callsMs: number
  /** From the last provider call's end to the response's end (render, send). */
  afterCallsMs: number
  /** The slowest provider call of each page, as the app waited for it. */
  slowestCallMs: number
}

const CAP = 50_000

/**
 * Splits each page's time around the provider calls made while it ran. Meaningful when
 * pages are requested one at a time (the cold dashboard bench uses one connection).
 */
export class Phases {
  private pages: Span[] = []
  private calls: Span[] = []

  page(span: Span): void {
    if (this.pages.length < CAP) this.pages.push(span)
  }

  call(span: Span): void {
    if (this.calls.length < CAP) this.calls.push(span)
  }

  take(): PhaseMedians {
    const rows = this.pages.flatMap((p) => {
      const inside = this.calls.filter((c) => c.start >= p.start && c.end <= p.end)
      if (!inside.length) return []
      const first = Math.min(...inside.map((c) => c.start))
      const last = Math.max(...inside.map((c) => c.end))
      return [[first - p.start, last - first, p.end - last, Math.max(...inside.map((c) => c.end - c.start))]]
    })
    this.pages = []
    this.calls = []
    const median = (i: number) =>
      percentile(
        rows.map((r) => r[i]!).sort((a, b) => a - b),
        0.5,
      )
    return {
      pages: rows.length,
      beforeCallsMs: median(0),
      callsMs: median(1),
      afterCallsMs: median(2),
      slowestCallMs: median(3),
    }
  }
}
