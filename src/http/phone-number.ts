import type { TFunction } from 'i18next'
import { parsePhoneNumberFromString } from 'libphonenumber-js'
import { translator } from '../i18n/catalogue.js'

/**
 * A recipient typed by a person, as E.164 (`+491701234567`), or the reason it cannot be
 * one, in the reader's words (`t`; English by default). Numbers are international:
 * `+49 170 1234567`, `0049 170 1234567` and `49 170 1234567` all mean the same; spaces,
 * dots, dashes and brackets are ignored.
 */
export function toE164(
  input: string,
  { t = translator('en'), whenEmpty }: { t?: TFunction; whenEmpty?: string } = {},
): { ok: true; number: string } | { ok: false; message: string } {
  const compact = input.trim().replace(/[\s.\-()/]/g, '')
  if (!compact) return { ok: false, message: whenEmpty ?? t('common:phone.empty') }
  if (!/^(\+|00)?\d+$/.test(compact)) return { ok: false, message: t('common:phone.digits') }
  const international = '+' + compact.replace(/^(\+|00)/, '')
  const parsed = parsePhoneNumberFromString(international)
  if (!parsed || !parsed.isPossible())
    return { ok: false, message: t('common:phone.impossible', { number: input.trim() }) }
  return { ok: true, number: parsed.number }
}
