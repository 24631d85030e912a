import { ProviderError } from '../../errors/app-error.js'
import { TransportError, type HttpClient, type ProviderRequest, type ProviderResponse } from '../http.js'

/**
 * The one place that decides what a failed exchange with sms77 means (STYLE.md "Errors").
 * Messages are Switchboard's own words: the provider's free text is never shown, and its
 * raw body is kept only as a non-enumerable `body` on the non-enumerable cause, so neither
 * a page nor a log line can carry what a careless provider echoed (a token, our secret).
 */

/** Where an answer came from: the token endpoint, `/me`, or the gateway API. */
export type Sms77Endpoint = 'token' | 'me' | 'gateway'

export type Sms77Failure =
  /** Anything thrown by the HTTP client or a library: a timeout, an oversized answer, no connection. */
  | { kind: 'transport'; error: unknown }
  /** An HTTP answer that is not a success (see {@link checkAnswer}). */
  | { kind: 'answer'; endpoint: Sms77Endpoint; path: string; res: ProviderResponse }
  /** A success whose content could not be used. */
  | { kind: 'unreadable'; what: Unreadable; detail?: unknown }
  /** `POST /sms` answered with a return code other than 100 (PROVIDERS.md §2 "Errors"). */
  | { kind: 'sms_refused'; code: string }
  /** A tool's call (voice, lookup, status, caller ID) answered with a return code other than 100. */
  | { kind: 'refused'; action: ToolAction; code: string }
  | { kind: 'no_refresh_token' }

type ToolAction = 'voice' | 'lookup' | 'status' | 'validate'
const ACTIONS: Record<ToolAction, string> = {
  voice: 'did not place the voice call',
  lookup: 'did not look up the number',
  status: 'has no delivery report for this message id',
  validate: 'did not start the caller ID validation',
}

type Unreadable = 'answer' | 'token' | 'account' | 'balance' | 'list' | 'send'

const UNREADABLE: Record<Unreadable, string> = {
  answer: 'sms77 sent an answer Switchboard could not read.',
  token: 'sms77 answered the token request with something Switchboard could not use.',
  account: 'sms77 described the account in a form Switchboard could not read.',
  balance: 'sms77 sent a balance Switchboard could not read.',
  list: 'sms77 sent a list Switchboard could not read.',
  send: 'sms77 answered the send request in a form Switchboard could not read.',
}

// Return codes of POST /sms (PROVIDERS.md §2 "Errors"), in words a sender can act on.
const SMS_CODES: Record<string, string> = {
  '101': 'Some recipients could not be sent to.',
  '201': 'The sender is not valid (up to 11 letters or 16 digits).',
  '301': 'A recipient is required.',
  '305': 'A message text is required.',
  '401': 'The message text is too long.',
  '402': 'This message was already sent a moment ago.',
  '403': 'The daily limit for this number is reached.',
  '500': 'The account does not have enough credit.',
  '600': 'The carrier could not deliver the message.',
  '901': 'sms77 knows no message with this id.',
}

// The error codes of RFC 6749 §5.2. Only these are ever shown: `error` is the provider's
// free text, and a careless or hostile one could echo our client secret in it.
const TOKEN_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
])

/** Turns any failure of an sms77 call into the ProviderError users and the connection service see. */
export function sms77Error(f: Sms77Failure): ProviderError {
  switch (f.kind) {
    case 'transport':
      return transportError(f.error)
    case 'answer':
      return f.endpoint === 'token' ? tokenError(f.res) : apiError(f.endpoint, f.path, f.res)
    case 'unreadable':
      return new ProviderError('sms77', 'provider_bad_response', UNREADABLE[f.what], f.detail)
    case 'sms_refused':
      return refusal(f.code, 'did not send the message')
    case 'refused':
      return refusal(f.code, ACTIONS[f.action])
    case 'no_refresh_token':
      return new ProviderError(
        'sms77',
        'invalid_grant',
        'This connection has no refresh token; reconnect to continue.',
      )
  }
}

/** A return code other than 100; a bad recipient (202) is the number's fault, not sms77's. */
function refusal(code: string, what: string): ProviderError {
  if (code === '202')
    return new ProviderError(
      'sms77',
      'invalid_phone_number',
      'sms77 refused the recipient number as not valid.',
    )
  // Only a numeric code is named: the field is the provider's free text.
  const message = SMS_CODES[code] ?? `sms77 ${what}${/^\d{1,4}$/.test(code) ? ` (code ${code})` : ''}.`
  return new ProviderError('sms77', 'provider_rejected', message)
}

/** Sends one request to sms77; a transport failure comes back translated by {@link sms77Error}. */
export async function send(http: HttpClient, req: ProviderRequest): Promise<ProviderResponse> {
  try {
    return await http.request('sms77', req)
  } catch (error) {
    throw sms77Error({ kind: 'transport', error })
  }
}

/**
 * Throws unless `res` is a success. The token endpoint and `/me` succeed with 200 only; the
 * gateway reports failures in the body as well as (maybe) in the status (PROVIDERS.md §5.2).
 */
export function checkAnswer(endpoint: Sms77Endpoint, path: string, res: ProviderResponse): void {
  const failed =
    endpoint === 'gateway'
      ? res.status >= 400 || ['900', '902', '903'].includes(bodyCode(res.body) ?? '')
      : res.status !== 200
  if (failed) throw sms77Error({ kind: 'answer', endpoint, path, res })
}

/** Parses a JSON answer, or throws `provider_bad_response`. */
export function readJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch (err) {
    throw sms77Error({
      kind: 'unreadable',
      what: 'answer',
      detail: new Error(`invalid JSON (${body.length} bytes)`, { cause: err }),
    })
  }
}

/** The status code when the whole body is one (`900`, `"900"`, `900\n…`), else undefined. */
export function bodyCode(body: string): string | undefined {
  return /^\s*"?(\d{3})"?\s*(\n|$)/.exec(body)?.[1]
}

function transportError(error: unknown): ProviderError {
  const kind = error instanceof TransportError ? error.kind : 'unreachable'
  if (kind === 'too_large')
    return new ProviderError(
      'sms77',
      'provider_bad_response',
      'sms77 sent an answer too large for Switchboard to read.',
      error,
    )
  const message = kind === 'timeout' ? 'sms77 did not answer in time.' : 'sms77 could not be reached.'
  return new ProviderError('sms77', 'provider_unavailable', message, error)
}

/** HTTP 401 or body `900`: the token failed; 403 or `902`: the scope is missing. */
function apiError(endpoint: 'me' | 'gateway', path: string, res: ProviderResponse): ProviderError {
  const code = endpoint === 'gateway' ? bodyCode(res.body) : undefined
  const cause = rawCause(`${endpoint} ${path}: HTTP ${res.status} code ${code ?? '-'}`, res.body)
  if (res.status === 401 || code === '900')
    return new ProviderError('sms77', 'token_rejected', 'sms77 did not accept the access token.', cause)
  const kind = res.status >= 500 ? 'provider_unavailable' : 'provider_rejected'
  if (endpoint === 'me')
    return new ProviderError('sms77', kind, 'sms77 could not describe the account right now.', cause)
  if (res.status === 403 || code === '902')
    return new ProviderError(
      'sms77',
      'provider_rejected',
      'This connection was not granted access to this feature.',
      cause,
    )
  return new ProviderError('sms77', kind, 'sms77 could not answer this request right now.', cause)
}

/** RFC 6749 §5.2 error answers of the token endpoint. */
function tokenError(res: ProviderResponse): ProviderError {
  const oauth = oauthError(res.body)
  const cause = rawCause(
    `token endpoint HTTP ${res.status}${oauth ? ` ${TOKEN_ERRORS.has(oauth) ? oauth : 'unrecognised error'}` : ''}`,
    res.body,
  )
  if (oauth === 'invalid_grant')
    return new ProviderError('sms77', 'invalid_grant', 'sms77 no longer accepts this authorization.', cause)
  if (oauth === 'invalid_client')
    return new ProviderError(
      'sms77',
      'provider_rejected',
      'sms77 rejected Switchboard’s client credentials; an administrator must check them.',
      cause,
    )
  if (res.status >= 500 || !oauth)
    return new ProviderError(
      'sms77',
      'provider_unavailable',
      'sms77 could not issue a token right now; please try again.',
      cause,
    )
  return new ProviderError(
    'sms77',
    'provider_rejected',
    `sms77 refused the token request (${TOKEN_ERRORS.has(oauth) ? oauth : 'unrecognised error'}).`,
    cause,
  )
}

function oauthError(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown }
    return typeof parsed?.error === 'string' ? parsed.error : undefined
  } catch {
    return undefined
  }
}

/** An operator-facing cause naming status and code; the raw body rides along unlogged. */
function rawCause(summary: string, body: string): Error {
  return Object.defineProperty(new Error(summary), 'body', { value: body, enumerable: false })
}
