/**
 * The packed form of one connection's balance history: a 12-byte header and a run of
 * varint tokens, delta-coded so an unchanged or steadily falling balance costs almost
 * nothing, and an hourly-changing one about two bytes an hour.
 *
 * Header: version (1 byte), currency (3 ASCII bytes), write sequence (u32, the
 * compare-and-set fence), hour of the first point (u32, hours since the epoch).
 *
 * Token: varint v = zigzag(Δamount) << 2 | tag, Δamount in 1/10,000 of the currency unit
 * (sms77 reports four decimals), from the previous point (or from 0 for the first):
 * - tag 0: one point, one hour after the previous one;
 * - tag 1: one point, followed by varint (gap − 2) hours after the previous one;
 * - tag 2: followed by varint (n − 2): n points, each an hour after the last, each moving
 *   by the same Δ (a flat or steadily spending balance is one token);
 * - tag 3: followed by varint (n − 2): n points, each an hour after the last, the first
 *   moving by Δ and the rest unchanged (a spend, then quiet hours).
 */
export interface HourPoint {
  /** Hours since the Unix epoch. */
  hour: number
  /** Amount in 1/10,000 of the currency unit. */
  units: number
}

export interface Series {
  currency: string
  seq: number
  points: HourPoint[]
}

export const HEADER_BYTES = 12
const VERSION = 1
export const UNITS_PER_AMOUNT = 10_000

export const toUnits = (amount: number) => Math.round(amount * UNITS_PER_AMOUNT)
export const hourOf = (ms: number) => Math.floor(ms / 3_600_000)

const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1)
const unzigzag = (n: number) => (n % 2 === 0 ? n / 2 : -(n + 1) / 2)

// Arithmetic, not bit operators: deltas may exceed 32 bits.
function pushVarint(out: number[], n: number): void {
  while (n >= 128) {
    out.push((n % 128) + 128)
    n = Math.floor(n / 128)
  }
  out.push(n)
}

function readVarint(buf: Buffer, pos: { at: number }): number {
  let n = 0
  let scale = 1
  for (;;) {
    const byte = buf[pos.at++]
    if (byte === undefined) throw new Error('balance history: truncated token')
    n += (byte & 127) * scale
    if (byte < 128) return n
    scale *= 128
  }
}

/** Packs points (sorted by hour, one per hour) into the stored form. */
export function encodeSeries(series: Series): Buffer {
  const { points } = series
  const head = Buffer.alloc(HEADER_BYTES)
  head.writeUInt8(VERSION, 0)
  head.write(series.currency.padEnd(3, ' ').slice(0, 3), 1, 'latin1')
  head.writeUInt32BE(series.seq >>> 0, 4)
  head.writeUInt32BE(points[0]?.hour ?? 0, 8)
  const out: number[] = []
  let prev: HourPoint | undefined
  for (let i = 0; i < points.length;) {
    const p = points[i]!
    const delta = p.units - (prev?.units ?? 0)
    const gap = prev ? p.hour - prev.hour : 1
    const linear = gap === 1 ? runFrom(points, i, delta) : 1
    const step = gap === 1 && delta !== 0 ? runFrom(points, i, 0) : 1
    const run = Math.max(linear, step)
    if (run >= 2) {
      pushVarint(out, zigzag(delta) * 4 + (linear >= step ? 2 : 3))
      pushVarint(out, run - 2)
    } else if (gap === 1) pushVarint(out, zigzag(delta) * 4)
    else {
      pushVarint(out, zigzag(delta) * 4 + 1)
      pushVarint(out, gap - 2)
    }
    prev = points[i + run - 1]
    i += run
  }
  return Buffer.concat([head, Buffer.from(out)])
}

/** How many points from `i` on follow hour by hour, each after the first moving by `delta`. */
function runFrom(points: HourPoint[], i: number, delta: number): number {
  let run = 1
  while (
    points[i + run] &&
    points[i + run]!.hour === points[i + run - 1]!.hour + 1 &&
    points[i + run]!.units - points[i + run - 1]!.units === delta
  )
    run++
  return run
}

/** Unpacks the stored form; an empty or missing value is an empty series. */
export function decodeSeries(buf: Buffer | null): Series {
  if (!buf || buf.length < HEADER_BYTES) return { currency: '', seq: 0, points: [] }
  if (buf.readUInt8(0) !== VERSION) throw new Error('balance history: unknown version')
  const currency = buf.toString('latin1', 1, 4).trim()
  const seq = buf.readUInt32BE(4)
  const points: HourPoint[] = []
  const pos = { at: HEADER_BYTES }
  let hour = buf.readUInt32BE(8) - 1
  let units = 0
  while (pos.at < buf.length) {
    const v = readVarint(buf, pos)
    const tag = v % 4
    const delta = unzigzag(Math.floor(v / 4))
    const gap = tag === 1 ? readVarint(buf, pos) + 2 : 1
    const n = tag >= 2 ? readVarint(buf, pos) + 2 : 1
    hour += gap - 1
    for (let k = 0; k < n; k++) {
      hour += 1
      if (k === 0 || tag !== 3) units += delta
      points.push({ hour, units })
    }
  }
  return { currency, seq, points }
}

/** Points this recent (hours before the newest) keep their hour; older ones one a day. */
export const HOURLY_HOURS = 30 * 24

/**
 * Puts a point into its hour (a later read in the same hour replaces that hour's point)
 * and drops every point a year or more older than the newest. Beyond the last 30 days
 * only each day's last point stays: a trend needs no more, and it bounds a year to about
 * 1,055 points, so 100,000 connections fit in a few hundred MiB however often balances move.
 */
export function upsertPoint(points: HourPoint[], point: HourPoint, keepHours: number): HourPoint[] {
  const next = points.filter((p) => p.hour !== point.hour)
  next.push(point)
  next.sort((a, b) => a.hour - b.hour)
  const newest = next[next.length - 1]!.hour
  const kept = next.filter((p) => p.hour > newest - keepHours)
  const day = (p: HourPoint | undefined) => (p ? Math.floor(p.hour / 24) : -1)
  return kept.filter((p, i) => p.hour > newest - HOURLY_HOURS || day(kept[i + 1]) !== day(p))
}
