import type { Money } from './types.js'

/**
 * The currency of every amount sms77 and Nexmo report without naming one (PROVIDERS.md:
 * both bill accounts in euro). One constant, so a provider that names another currency
 * changes one line, not eleven.
 */
export const PROVIDER_CURRENCY = 'EUR'

/** Reads a balance from either `12.34` (text or number) or `{amount, currency}` (PROVIDERS.md §2). */
export function parseBalance(value: unknown, defaultCurrency = PROVIDER_CURRENCY): Money | undefined {
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
