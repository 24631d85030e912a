import { ProviderError } from '../../errors/app-error.js'
import { TransportError, type HttpClient, type ProviderRequest, type ProviderResponse } from '../http.js'

/**
 * The one place that decides what a failed exchange with Nexmo means (STYLE.md "Errors").
 * Messages are Switchboard's own words: Nexmo's `error-text` is never shown, and the raw
 * body is kept only as a non-enumerable `body` on the non-enumerable cause.
 */

/** The calls Switchboard makes: two OAuth 1.0a token steps (RFC 5849 §2) and two REST calls. */
export type NexmoStep = 'request_token' | 'access_token' | 'get-balance' | 'sms'

export type NexmoFailure =
  /** Anything thrown by the HTTP client or a library: a timeout, an oversized answer, no connection. */
  | { kind: 'transport'; error: unknown }
  /** An HTTP answer other than 200. */
  | { kind: 'answer'; step: NexmoStep; res: ProviderResponse }
  /** A 200 whose content could not be used. */
  | { kind: 'unreadable'; what: 'answer' | 'balance' | 'send'; detail?: unknown }
  | { kind: 'no_token_pair'; step: NexmoStep }
  | { kind: 'callback_unconfirmed' }
  /** `/sms/json` answered 200 with a message status other than 0 (PROVIDERS.md §3). */
  | { kind: 'sms_refused'; status: string }
  | { kind: 'not_refreshable' }

// What each step is called in a sentence ("Nexmo refused the …").
const STEP_WORDS: Record<NexmoStep, string> = {
  request_token: 'request for a sign-in token',
  access_token: 'exchange for an access token',
  'get-balance': 'balance request',
  sms: 'send request',
}

const UNREADABLE = {
  answer: 'Nexmo sent an answer Switchboard could not read.',
  balance: 'Nexmo sent a balance Switchboard could not read.',
  send: 'Nexmo answered the send request in a form Switchboard could not read.',
}

// SMS status codes (PROVIDERS.md §3), in words a sender can act on.
const SMS_STATUS: Record<string, string> = {
  '1': 'Nexmo is throttling messages; try again shortly.',
  '2': 'A required field is missing.',
  '3': 'The recipient or sender is not valid.',
  '4': 'Nexmo no longer accepts this connection.',
  '6': 'The message could not be sent.',
  '7': 'This number is barred.',
  '8': 'The account is barred.',
  '9': 'The account does not have enough credit.',
  '12': 'The message is too long.',
  '15': 'The sender is not allowed.',
  '29': 'This destination is not whitelisted for the account.',
}

/** Turns any failure of a Nexmo call into the ProviderError users and the connection service see. */
export function nexmoError(f: NexmoFailure): ProviderError {
  switch (f.kind) {
    case 'transport':
      return transportError(f.error)
    case 'answer':
      return answerError(f.step, f.res)
    case 'unreadable':
      return new ProviderError('nexmo', 'provider_bad_response', UNREADABLE[f.what], f.detail)
    case 'no_token_pair':
      return new ProviderError(
        'nexmo',
        'provider_bad_response',
        `Nexmo answered the ${STEP_WORDS[f.step]} with something Switchboard could not use.`,
        new Error(`${f.step}: no oauth_token/oauth_token_secret`),
      )
    case 'callback_unconfirmed':
      return new ProviderError(
        'nexmo',
        'provider_bad_response',
        'Nexmo did not confirm the callback address.',
        new Error('oauth_callback_confirmed missing'),
      )
    case 'sms_refused':
      if (f.status === '4') return new ProviderError('nexmo', 'token_rejected', SMS_STATUS['4']!)
      if (f.status === '33')
        return new ProviderError(
          'nexmo',
          'invalid_phone_number',
          'Nexmo refused the recipient number: it is no longer in service.',
        )
      // Only a numeric status is named: the field is the provider's free text.
      return new ProviderError(
        'nexmo',
        'provider_rejected',
        SMS_STATUS[f.status] ??
          `Nexmo did not send the message${/^\d{1,4}$/.test(f.status) ? ` (status ${f.status})` : ''}.`,
      )
    case 'not_refreshable':
      return new ProviderError(
        'nexmo',
        'invalid_grant',
        'Nexmo connections cannot be refreshed; reconnect instead.',
      )
  }
}

/** Sends one request to Nexmo; a transport failure comes back translated by {@link nexmoError}. */
export async function send(http: HttpClient, req: ProviderRequest): Promise<ProviderResponse> {
  try {
    return await http.request('nexmo', req)
  } catch (error) {
    throw nexmoError({ kind: 'transport', error })
  }
}

/** Throws unless `res` is a 200 (Nexmo answers 200 even for a refused SMS; see `sms_refused`). */
export function checkAnswer(step: NexmoStep, res: ProviderResponse): void {
  if (res.status !== 200) throw nexmoError({ kind: 'answer', step, res })
}

/** Parses a JSON answer, or throws `provider_bad_response`. */
export function readJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch (err) {
    throw nexmoError({
      kind: 'unreadable',
      what: 'answer',
      detail: new Error(`invalid JSON (${body.length} bytes)`, { cause: err }),
    })
  }
}

function transportError(error: unknown): ProviderError {
  const kind = error instanceof TransportError ? error.kind : 'unreachable'
  if (kind === 'too_large')
    return new ProviderError(
      'nexmo',
      'provider_bad_response',
      'Nexmo sent an answer too large for Switchboard to read.',
      error,
    )
  const message = kind === 'timeout' ? 'Nexmo did not answer in time.' : 'Nexmo could not be reached.'
  return new ProviderError('nexmo', 'provider_unavailable', message, error)
}

function answerError(step: NexmoStep, res: ProviderResponse): ProviderError {
  const cause = Object.defineProperty(new Error(`${step}: HTTP ${res.status}`), 'body', {
    value: res.body,
    enumerable: false,
  })
  const tokenStep = step === 'request_token' || step === 'access_token'
  if (res.status === 401)
    return new ProviderError(
      'nexmo',
      'token_rejected',
      tokenStep ? `Nexmo refused the ${STEP_WORDS[step]}.` : 'Nexmo no longer accepts this connection.',
      cause,
    )
  const kind = res.status >= 500 ? 'provider_unavailable' : 'provider_rejected'
  if (tokenStep)
    return new ProviderError(
      'nexmo',
      kind,
      `Nexmo could not complete the ${STEP_WORDS[step]} right now.`,
      cause,
    )
  return new ProviderError(
    'nexmo',
    kind,
    kind === 'provider_unavailable' ? 'Nexmo could not answer right now.' : 'Nexmo refused the request.',
    cause,
  )
}
