import type { Money } from '../providers/types.js'

/** A connection's last balance read as the support console shows it. */
export interface BalanceEntry {
  balance?: Money
  company?: string
  readAt?: number
  error?: string
}

// Fields of a stored read: amount, currency, read time (base 36), company, error. A unit
// separator between them (removed from the text) keeps a typical read near 40 bytes, within
// the 64 a listpack value may have (see supportReadKey), where JSON took 60 to 100.
const SEP = '\x1f'
const clean = (s: string | undefined) => (s ?? '').replaceAll(SEP, ' ')

export function encodeEntry(e: BalanceEntry): string {
  return [
    e.balance ? String(e.balance.amount) : '',
    clean(e.balance?.currency),
    e.readAt === undefined ? '' : e.readAt.toString(36),
    clean(e.company),
    clean(e.error),
  ].join(SEP)
}

/** Reads the stored form, and the JSON one stored before it (`{"balance":…}`). */
export function decodeEntry(raw: string | null | undefined): BalanceEntry {
  if (!raw) return {}
  if (raw.startsWith('{')) {
    const v = JSON.parse(raw) as BalanceEntry
    return { balance: v.balance, company: v.company, readAt: v.readAt, error: v.error }
  }
  const [amount = '', currency = '', readAt = '', company = '', error = ''] = raw.split(SEP)
  const out: BalanceEntry = {}
  if (amount !== '') out.balance = { amount: Number(amount), currency }
  if (company) out.company = company
  if (readAt) out.readAt = parseInt(readAt, 36)
  if (error) out.error = error
  return out
}
