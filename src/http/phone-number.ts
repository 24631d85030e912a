import { parsePhoneNumberFromString } from 'libphonenumber-js'

/**
 * A recipient typed by a person, as E.164 (`+491701234567`), or the reason it cannot be
 * one. Numbers are international: `+49 170 1234567`, `0049 170 1234567` and
 * `49 170 1234567` all mean the same; spaces, dots, dashes and brackets are ignored.
 */
export function toE164(
  input: string,
  whenEmpty = 'Enter the recipient’s phone number.',
): { ok: true; number: string } | { ok: false; message: string } {
  const compact = input.trim().replace(/[\s.\-()/]/g, '')
  if (!compact) return { ok: false, message: whenEmpty }
  if (!/^(\+|00)?\d+$/.test(compact))
    return { ok: false, message: 'A phone number has digits only, optionally starting with +.' }
  const international = '+' + compact.replace(/^(\+|00)/, '')
  const parsed = parsePhoneNumberFromString(international)
  if (!parsed || !parsed.isPossible())
    return {
      ok: false,
      message: `${input.trim()} is not a possible phone number: give it with its country code, e.g. +49 170 1234567.`,
    }
  return { ok: true, number: parsed.number }
}
