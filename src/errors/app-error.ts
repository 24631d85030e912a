/**
 * Errors are values with a stable snake_case code, an HTTP status, a message a user may
 * read, and an operator-facing cause. One handler (http/error-handler.ts) decides what
 * users see; `cause` is non-enumerable so a provider's raw body never reaches a log line
 * by accident of serialisation.
 */
export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'csrf_failed'
  | 'auth_required'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'conflict'
  | 'state_mismatch'
  | 'access_denied'
  | 'provider_unavailable'
  | 'provider_bad_response'
  | 'provider_rejected'
  | 'token_rejected'
  | 'invalid_grant'
  | 'needs_reconnect'
  | 'not_configured'
  | 'decrypt_failed'
  | 'lock_timeout'
  | 'service_unavailable'
  | 'internal'
  | 'invalid_api_key'
  | 'insufficient_scope'
  | 'idempotency_key_missing'
  | 'idempotency_key_reused'
  | 'idempotency_in_progress'
  | 'invalid_phone_number'
  | 'daily_limit_reached'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'idempotency_key_too_long'

export class AppError extends Error {
  readonly status: number
  readonly code: ErrorCode
  readonly expose: boolean
  /** The message is already in the reader's language (else pages say what the code means). */
  readonly localized: boolean

  constructor(
    code: ErrorCode,
    message: string,
    opts: { status?: number; cause?: unknown; expose?: boolean; localized?: boolean } = {},
  ) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.status = opts.status ?? 500
    this.expose = opts.expose ?? this.status < 500
    this.localized = opts.localized ?? false
    if (opts.cause !== undefined)
      Object.defineProperty(this, 'cause', { value: opts.cause, enumerable: false })
  }
}

export class ValidationError extends AppError {
  constructor(
    message = 'The request was not understood.',
    cause?: unknown,
    /** Each field that is not right, with its rule and limit (the API's problem lists them). */
    readonly fields: ReadonlyArray<{
      field: string
      rule: string
      limit?: number | string[]
      message: string
    }> = [],
  ) {
    super('validation_failed', message, { status: 400, cause })
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'Page not found.') {
    super('not_found', message, { status: 404 })
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You do not have access to this page.') {
    super('forbidden', message, { status: 403 })
  }
}

// A refused recipient is the sender's to fix (422), as when Switchboard refuses it itself.
const PROVIDER_STATUS: Partial<Record<ErrorCode, number>> = { not_configured: 503, invalid_phone_number: 422 }

/** A provider call failed; `code` says whether the token, the provider or its answer is at fault. */
export class ProviderError extends AppError {
  constructor(
    readonly provider: string,
    code: Extract<
      ErrorCode,
      | 'provider_unavailable'
      | 'provider_bad_response'
      | 'provider_rejected'
      | 'token_rejected'
      | 'invalid_grant'
      | 'not_configured'
      | 'invalid_phone_number'
    >,
    message: string,
    cause?: unknown,
  ) {
    super(code, message, { status: PROVIDER_STATUS[code] ?? 502, cause, expose: true })
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError
}
