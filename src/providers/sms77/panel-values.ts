import { PROVIDER_CURRENCY } from '../money.js'
import { sms77Error } from './errors.js'

// Reading the gateway's loosely typed answers (texts, numbers as text, lists under a key) as panel values.

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10)
}

export function rows(value: unknown, key?: string): Record<string, unknown>[] {
  const list =
    key && value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)[key]
      : value
  if (!Array.isArray(list)) throw sms77Error({ kind: 'unreadable', what: 'list' })
  return list.filter((r): r is Record<string, unknown> => !!r && typeof r === 'object')
}

export const str = (v: unknown) => (v === null || v === undefined ? '' : String(v))
// A price the provider wrote as text ("0.075") becomes money the view formats; else as it came.
export const price = (v: unknown) =>
  v !== null && v !== '' && Number.isFinite(Number(v))
    ? { amount: Number(v), currency: PROVIDER_CURRENCY }
    : str(v)
/** Text cut to `max` characters (never inside one), with an ellipsis that says it was cut. */
export const clip = (text: string, max: number): string => {
  const chars = [...text]
  return chars.length <= max
    ? text
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`
}
export const num = (v: unknown) => (Number.isFinite(Number(v)) ? Number(v) : 0)
