/**
 * A time as a provider writes it, as an instant (epoch ms), so pages show it in the reader's
 * zone and language like every other time. sms77 writes `2026-12-04 14:48:24` (sometimes with
 * `.000`) without a zone; the sandbox writes UTC, and nothing in PROVIDERS.md says otherwise,
 * so a time without a zone is read as UTC [inferred]. ISO times with `Z` or an offset are read
 * as written. Anything else stays undefined: the caller shows the text as it came.
 */
const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/
const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/

export function parseProviderTime(raw: unknown): number | undefined {
  if (typeof raw !== 'string') return undefined
  const text = raw.trim()
  const naive = NAIVE.exec(text)
  if (naive) {
    const [, y, mo, d, h, mi, s = '0', frac = '0'] = naive
    const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s, Math.round(Number(`0.${frac}`) * 1000))
    return Number.isFinite(ms) ? ms : undefined
  }
  if (!ZONED.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? ms : undefined
}

/** A provider time for a table cell: an instant the page formats, else the text as it came. */
export function timeCell(raw: unknown): { at: number } | string {
  const at = parseProviderTime(raw)
  return at === undefined ? (typeof raw === 'string' ? raw : '') : { at }
}
