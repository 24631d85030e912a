import type { Money } from '../providers/types.js'

/** How pages write values that providers hand over as data. */

// One formatter for the process: toLocaleString builds a new one per call (40 µs each).
const AMOUNT = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 4 })

export function formatMoney(m: Money): string {
  return `${AMOUNT.format(m.amount)} ${m.currency}`
}

/** A profile field or stats value: text as it is, an amount of money formatted. */
export function formatValue(v: string | Money): string {
  return typeof v === 'string' ? v : formatMoney(v)
}
