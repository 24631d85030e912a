import type { ErrorRequestHandler, RequestHandler, Response } from 'express'
import { AppError, ValidationError, type ErrorCode } from '../errors/app-error.js'
import { toAppError } from '../http/error-handler.js'
import type { Logger } from '../logging/logger.js'
import { routeOf } from '../http/route-of.js'

/**
 * RFC 9457 problem details for the tenant API. Each problem has a stable `type`: an
 * absolute URI on this deployment pointing at its entry on `/api/docs`, so a client can
 * branch on it and a person can read what it means.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** Every problem the API answers with, by the error code that causes it. */
export const PROBLEMS = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  bad_request: { status: 400, title: 'The request was not understood' },
  unsupported_media_type: { status: 415, title: 'Send the request body as JSON' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  idempotency_key_too_long: { status: 400, title: 'The Idempotency-Key header is too long' },
  invalid_api_key: { status: 401, title: 'Missing, unknown or revoked API key' },
  insufficient_scope: { status: 403, title: 'The API key lacks the scope this call needs' },
  not_found: { status: 404, title: 'No such resource for this API key' },
  needs_reconnect: { status: 409, title: 'The connection needs a reconnect by its owner' },
  idempotency_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still running' },
  idempotency_key_missing: { status: 400, title: 'The Idempotency-Key header is required' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was used with another body' },
  invalid_phone_number: { status: 422, title: 'The recipient is not a phone number that can be reached' },
  rate_limited: { status: 429, title: 'Too many requests for this API key' },
  daily_limit_reached: { status: 429, title: 'Daily limit reached for this connection' },
  provider_problem: { status: 502, title: 'The provider failed or refused the call' },
  service_unavailable: { status: 503, title: 'Switchboard is temporarily unavailable' },
  internal: { status: 500, title: 'Something went wrong on our side' },
} as const satisfies Record<string, { status: number; title: string }>
export type ProblemName = keyof typeof PROBLEMS

export function problemType(baseUrl: string, name: ProblemName): string {
  return `${baseUrl}/api/docs#problem-${name}`
}

const PROVIDER_CODES = new Set<ErrorCode>([
  'provider_unavailable',
  'provider_bad_response',
  'provider_rejected',
  'token_rejected',
  'invalid_grant',
  'not_configured',
  'lock_timeout',
  'decrypt_failed',
])

function problemOf(err: AppError): ProblemName {
  if (err.code in PROBLEMS) return err.code as ProblemName
  if (PROVIDER_CODES.has(err.code)) return 'provider_problem'
  if (err.status === 413) return 'payload_too_large'
  if (err.status === 415) return 'unsupported_media_type'
  return err.status < 500 ? 'bad_request' : 'internal'
}

export function sendProblem(res: Response, baseUrl: string, err: AppError): void {
  const name = problemOf(err)
  const status = name === 'bad_request' || name === 'provider_problem' ? err.status : PROBLEMS[name].status
  res.status(status).type(PROBLEM_CONTENT_TYPE)
  if (name === 'invalid_api_key') res.setHeader('WWW-Authenticate', 'Bearer realm="switchboard-api"')
  if (name === 'service_unavailable') res.setHeader('Retry-After', '5')
  res.send(
    JSON.stringify({
      type: problemType(baseUrl, name),
      title: PROBLEMS[name].title,
      status,
      detail: err.expose ? err.message : PROBLEMS.internal.title,
      code: name,
      // Each field with its rule and limit, for a client to show or branch on.
      ...(err instanceof ValidationError && err.fields.length ? { errors: err.fields } : {}),
    }),
  )
}

export const apiNotFound: RequestHandler = (_req, _res, next) =>
  next(new AppError('not_found', 'There is no such API route.', { status: 404 }))

/** The API's one error handler: problem+json always, never an HTML page or an internal message. */
export function apiErrorHandler(baseUrl: string, logger: Logger): ErrorRequestHandler {
  return (raw, req, res, _next) => {
    const err = toAppError(raw)
    const log = { code: err.code, status: err.status, err: err.cause ?? raw, path: routeOf(req) }
    if (err.status >= 500) logger.error(log, 'api request failed')
    else logger.debug(log, 'api request rejected')
    if (res.headersSent) return
    sendProblem(res, baseUrl, err)
  }
}
