import type { TFunction } from 'i18next'
import type { z } from 'zod'
import { ValidationError } from '../errors/app-error.js'
import { translator } from '../i18n/catalogue.js'
import { describeProblems, fieldProblem } from './field-problems.js'

/**
 * Parses untrusted input (a query, a form body) with a schema at the edge; inside, code
 * trusts the typed result. The message names fields, never echoes their values.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, message?: string): z.infer<S> {
  const result = schema.safeParse(input ?? {})
  if (result.success) return result.data
  // Each field with its rule and limit ("limit: at most 100"), said and kept for the API's problem.
  const fields = result.error.issues.map(fieldProblem)
  throw new ValidationError(message ?? describeProblems(fields), result.error, fields)
}

// A schema's own message is a catalogue key (`auth:signup.orgShort`); what a schema leaves
// unsaid gets one of these sentences written for people instead of zod's own wording.
const KEY = /^[a-z]+:[\w.]+$/
type RawIssue = z.core.$ZodRawIssue
function humane(issue: RawIssue): string {
  const v = 'common:validation.'
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined || issue.input === '') return `${v}required`
      return issue.expected === 'number' ? `${v}notNumber` : `${v}invalid`
    case 'too_small':
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? `${v}required` : `${v}tooShort`
      return `${v}tooSmall`
    case 'too_big':
      return issue.origin === 'string' ? `${v}tooLong` : `${v}tooBig`
    case 'invalid_value':
      return `${v}choose`
    case 'invalid_format':
      return issue.format === 'email' ? `${v}email` : issue.format === 'url' ? `${v}url` : `${v}invalid`
    default:
      return `${v}invalid`
  }
}

/** An issue's message in the reader's language, with its limits filled in. */
export function issueText(issue: z.core.$ZodIssue, t: TFunction): string {
  if (!KEY.test(issue.message)) return issue.message
  const limits = issue as { minimum?: unknown; maximum?: unknown }
  const minimum = Number(limits.minimum ?? 0)
  const maximum = Number(limits.maximum ?? 0)
  const count = issue.code === 'too_big' ? maximum : minimum
  return t(issue.message, { count, minimum, maximum })
}

/** Form field validation that re-renders the form with messages instead of throwing. */
export function checkForm<S extends z.ZodType>(
  schema: S,
  input: unknown,
  t: TFunction = translator('en'),
): { ok: true; data: z.infer<S> } | { ok: false; errors: Record<string, string> } {
  const result = schema.safeParse(input ?? {}, { error: humane })
  if (result.success) return { ok: true, data: result.data }
  const errors: Record<string, string> = {}
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? 'form')
    errors[field] ??= issueText(issue, t)
  }
  return { ok: false, errors }
}
