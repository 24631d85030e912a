import { parsePhoneNumberFromString } from 'libphonenumber-js/max'

/** Why a typed number cannot be sent to; each front end says it in its own words. */
export type PhoneProblem = 'empty' | 'digits' | 'invalid'

/**
 * The one rule for a recipient typed by a person, in the dashboard and the API alike
 * (issue 28): E.164 (`+491701234567`) or why not. Numbers are international:
 * `+49 170 1234567`, `0049 170 1234567` and `49 170 1234567` mean the same; spaces, dots,
 * dashes, slashes and brackets are ignored. Anything else (letters, an `ext 5`) is refused:
 * an SMS cannot reach an extension. The number must be valid for its country's numbering
 * plan (libphonenumber's full metadata), so `+4912345` is refused here, before any
 * provider call, and not by the provider in words a sender cannot act on.
 */
export function parseE164(
  input: string,
): { ok: true; number: string } | { ok: false; problem: PhoneProblem } {
  const compact = input.trim().replace(/[\s.\-()/]/g, '')
  if (!compact) return { ok: false, problem: 'empty' }
  if (!/^(\+|00)?\d+$/.test(compact)) return { ok: false, problem: 'digits' }
  const parsed = parsePhoneNumberFromString('+' + compact.replace(/^(\+|00)/, ''))
  if (!parsed || !parsed.isValid()) return { ok: false, problem: 'invalid' }
  return { ok: true, number: parsed.number }
}
