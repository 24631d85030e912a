import type { z } from 'zod'

/** One field that is not right: which, by what rule, and the limit where the rule has one. */
export interface FieldProblem {
  field: string
  rule: 'required' | 'type' | 'min' | 'max' | 'format' | 'one_of' | 'unknown_field' | 'invalid'
  limit?: number | string[]
  message: string
}

const KEY = /^[a-z]+:[\w.]+$/
const unit = (origin: unknown, n: number) =>
  origin === 'string'
    ? ` character${n === 1 ? '' : 's'}`
    : origin === 'array'
      ? ` item${n === 1 ? '' : 's'}`
      : ''

/**
 * A zod issue as words a developer can act on: "text: at most 1520 characters", "limit: at
 * most 100", "to: required". Schema messages that are catalogue keys (forms) are not used here.
 */
export function fieldProblem(issue: z.core.$ZodIssue): FieldProblem {
  const field = issue.path.map(String).join('.') || 'body'
  const own = issue.message && !KEY.test(issue.message) && !/^(Invalid|Too (big|small))/.test(issue.message)
  const said = (
    rule: FieldProblem['rule'],
    message: string,
    limit?: FieldProblem['limit'],
  ): FieldProblem => ({
    field,
    rule,
    ...(limit === undefined ? {} : { limit }),
    message: `${field}: ${own ? issue.message : message}`,
  })
  switch (issue.code) {
    case 'too_big': {
      const max = Number(issue.maximum)
      return said('max', `at most ${max}${unit(issue.origin, max)}`, max)
    }
    case 'too_small': {
      const min = Number(issue.minimum)
      if (issue.origin === 'string' && min <= 1) return said('required', 'required, not empty', min)
      return said('min', `at least ${min}${unit(issue.origin, min)}`, min)
    }
    case 'invalid_type':
      if (issue.input === undefined) return said('required', 'required')
      return said('type', `must be a ${issue.expected}`)
    case 'invalid_format':
      return said('format', `must be a valid ${issue.format}`)
    case 'invalid_value': {
      const values = issue.values.map(String)
      return said('one_of', `must be one of ${values.join(', ')}`, values)
    }
    case 'unrecognized_keys':
      return {
        field: issue.keys.join(', '),
        rule: 'unknown_field',
        message: `unknown field: ${issue.keys.join(', ')}`,
      }
    default:
      return said('invalid', 'is not valid')
  }
}

/** "Please check: text: at most 1520 characters; to: required." */
export function describeProblems(problems: FieldProblem[]): string {
  return `Please check: ${problems.map((p) => p.message).join('; ')}.`
}
