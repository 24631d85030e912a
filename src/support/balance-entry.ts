import type { BalanceEntry } from './support-index.js'

/** A stored entry: short keys so it stays within 64 bytes, a listpack value (see supportReadKey). */
interface Compact {
  a?: number
  c?: string
  n?: string
  r?: number
  e?: string
}

export function encodeEntry(e: BalanceEntry): string {
  const c: Compact = { a: e.balance?.amount, c: e.balance?.currency, n: e.company, r: e.readAt, e: e.error }
  return JSON.stringify(c)
}

/** Reads both the compact form and the long one stored before it (`{"balance":…}`). */
export function decodeEntry(raw: string | null | undefined): BalanceEntry {
  if (!raw) return {}
  const v = JSON.parse(raw) as Compact & BalanceEntry
  if ('balance' in v || 'company' in v || 'readAt' in v || 'error' in v)
    return { balance: v.balance, company: v.company, readAt: v.readAt, error: v.error }
  const out: BalanceEntry = {}
  if (v.a !== undefined && v.c !== undefined) out.balance = { amount: v.a, currency: v.c }
  if (v.n !== undefined) out.company = v.n
  if (v.r !== undefined) out.readAt = v.r
  if (v.e !== undefined) out.error = v.e
  return out
}
