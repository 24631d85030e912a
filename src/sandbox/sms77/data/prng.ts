// Demo data must be the same on every run and every process (tests compare values),
// so it comes from a tiny seeded generator instead of Math.random.

/** FNV-1a, 32 bit: a stable seed from any string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** mulberry32: returns a function yielding floats in [0, 1). */
export function seededRandom(seed: string): () => number {
  let a = hashString(seed)
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)]
  if (item === undefined) throw new Error('pick from an empty list')
  return item
}

/** "YYYY-MM-DD" of a date, in UTC (the sandbox keeps one clock for all data). */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10)
}

/** "YYYY-MM-DD HH:mm:ss", the gateway's timestamp format, in UTC. */
export function gatewayTimestamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ')
}

/** Ten-thousandths of a euro to the number the gateway prints. */
export function toEuro(units: number): number {
  return Math.round(units) / 10_000
}
