import type { TFunction } from 'i18next'
import { parseE164 } from '../phone/e164.js'

/**
 * A phone number typed into a dashboard form, as E.164, or the reason it cannot be one in
 * the reader's words (phone/e164.ts holds the rule; the API answers the same numbers).
 */
export function phoneField(
  input: string,
  { t, whenEmpty }: { t: TFunction; whenEmpty?: string },
): { ok: true; number: string } | { ok: false; message: string } {
  const parsed = parseE164(input)
  if (parsed.ok) return parsed
  if (parsed.problem === 'empty') return { ok: false, message: whenEmpty ?? t('common:phone.empty') }
  if (parsed.problem === 'digits') return { ok: false, message: t('common:phone.digits') }
  return { ok: false, message: t('common:phone.invalid', { number: input.trim() }) }
}
