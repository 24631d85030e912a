import type { Money } from './types.js'

// One formatter for the process: toLocaleString builds a new one per call (40 µs each).
const AMOUNT = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 4 })

export function formatMoney(m: Money): string {
  return `${AMOUNT.format(m.amount)} ${m.currency}`
}

/** Reads a balance from either `12.34` (text or number) or `{amount, currency}` (PROVIDERS.md §2). */
export function parseBalance(value: unknown, defaultCurrency = 'EUR'): Money | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return { amount: value, currency: defaultCurrency }
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return { amount: Number(value), currency: defaultCurrency }
  if (value && typeof value === 'object' && 'amount' in value) {
    const amount = Number((value as { amount: unknown }).amount)
    const currency = (value as { currency?: unknown }).currency
    if (Number.isFinite(amount))
      return { amount, currency: typeof currency === 'string' && currency ? currency : defaultCurrency }
  }
  return undefined
}
