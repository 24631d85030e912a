import type { z } from 'zod'
import { ValidationError } from '../errors.js'

/**
 * Parses untrusted input (a query, a form body) with a schema at the edge; inside, code
 * trusts the typed result. The message names fields, never echoes their values.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, message?: string): z.infer<S> {
  const result = schema.safeParse(input ?? {})
  if (result.success) return result.data
  const fields = [...new Set(result.error.issues.map((i) => i.path.join('.') || 'request'))]
  throw new ValidationError(message ?? `Please check: ${fields.join(', ')}.`, result.error)
}

/** Form field validation that re-renders the form with messages instead of throwing. */
export function checkForm<S extends z.ZodType>(
  schema: S,
  input: unknown,
): { ok: true; data: z.infer<S> } | { ok: false; errors: Record<string, string> } {
  const result = schema.safeParse(input ?? {})
  if (result.success) return { ok: true, data: result.data }
  const errors: Record<string, string> = {}
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? 'form')
    errors[field] ??= issue.message
  }
  return { ok: false, errors }
}
