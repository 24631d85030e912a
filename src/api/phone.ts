import { parsePhoneNumberFromString } from 'libphonenumber-js'
import { AppError } from '../errors/app-error.js'

/**
 * A recipient in E.164 (`+491701234567`). Numbers must be international: `+49 170 …`,
 * `0049 170 …` and `49170…` are all read as German. "Possible" (a plausible length for
 * the country) rather than "valid": numbering plans change faster than any copy of them,
 * and the provider has the last word on whether a number exists.
 */
export function toE164(input: string): string {
  const compact = input.replace(/[\s().-]/g, '')
  const international = compact.startsWith('+')
    ? compact
    : compact.startsWith('00')
      ? `+${compact.slice(2)}`
      : `+${compact}`
  const parsed = parsePhoneNumberFromString(international)
  if (!parsed || !parsed.isPossible())
    throw new AppError(
      'invalid_phone_number',
      '`to` is not a possible international phone number; write it with its country code, e.g. +49 170 1234567.',
      { status: 422 },
    )
  return parsed.number
}
