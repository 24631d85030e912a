import type { Money } from '../providers/types.js'

/** How pages write values that providers hand over as data. */

// One formatter for the process: toLocaleString builds a new one per call (40 µs each).
const AMOUNT = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** A balance or a total: two decimals, as people read money (issue 16). */
export function formatMoney(m: Money): string {
  return `${AMOUNT.format(m.amount)} ${m.currency}`
}

/** A profile field, stats value or table cell: text as it is, money formatted (as a price if asked). */
export function formatValue(v: string | Money, as: 'money' | 'price' = 'money'): string {
  return typeof v === 'string' ? v : as === 'price' ? formatPrice(v) : formatMoney(v)
}

// Providers price SMS per part in fractions of a cent (0.0333 EUR): prices keep them.
const PRICE = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 4 })

/** A price per part, or a sum of them: up to four decimals where the provider gives them. */
export function formatPrice(m: Money): string {
  return `${PRICE.format(m.amount)} ${m.currency}`
}
