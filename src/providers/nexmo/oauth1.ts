import { createHash, createHmac } from 'node:crypto'
import OAuth from 'oauth-1.0a'
import type { HttpClient, ProviderResponse } from '../http.js'
import type { ClientCredentials } from '../types.js'
import { checkAnswer, nexmoError, send, type NexmoStep } from './errors.js'

/**
 * The OAuth 1.0a client side of Nexmo (seeds/nexmo-oauth1a.txt, RFC 5849), signing with
 * the `oauth-1.0a` library, HMAC-SHA1, every protocol parameter in the `Authorization`
 * header: Nexmo's own SDK used header signing only (PROVIDERS.md §3).
 */
function signer(consumer: ClientCredentials): OAuth {
  return new OAuth({
    consumer: { key: consumer.id, secret: consumer.secret },
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  })
}

export interface SignedCall {
  method: 'GET' | 'POST'
  url: string
  /** Form body parameters: signed (RFC 5849 §3.4.1.3.1) and sent as the body. */
  form?: Record<string, string>
  /** Extra protocol parameters (`oauth_callback`, `oauth_verifier`), signed and sent in the header. */
  protocol?: Record<string, string>
  token?: { key: string; secret: string }
  accept?: string
}

export async function signedRequest(
  http: HttpClient,
  consumer: ClientCredentials,
  call: SignedCall,
): Promise<ProviderResponse> {
  const oauth = signer(consumer)
  const data = { ...call.form, ...call.protocol }
  const params = oauth.authorize({ url: call.url, method: call.method, data }, call.token)
  // The library signs `data` but puts only its own parameters in the header: add ours.
  const header = oauth.toHeader({ ...params, ...call.protocol } as OAuth.Authorization)
  return send(http, {
    method: call.method,
    url: call.url,
    headers: {
      ...header,
      accept: call.accept ?? 'application/json',
      ...(call.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: call.form ? new URLSearchParams(call.form).toString().replace(/\+/g, '%20') : undefined,
    timeoutMs: 8_000,
  })
}

export interface TokenPair {
  token: string
  secret: string
  extras: Record<string, string>
}

/** Parses a form-encoded token answer (RFC 5849 §2.1 / §2.3). */
export function parseTokenPair(res: ProviderResponse, step: NexmoStep): TokenPair {
  checkAnswer(step, res)
  const form = new URLSearchParams(res.body)
  const token = form.get('oauth_token')
  const secret = form.get('oauth_token_secret')
  if (!token || !secret || token.length > 512 || secret.length > 512)
    throw nexmoError({ kind: 'no_token_pair', step })
  const extras = Object.fromEntries(
    [...form].filter(([k]) => k !== 'oauth_token' && k !== 'oauth_token_secret'),
  )
  return { token, secret, extras }
}

/** A stable, non-secret id for an account when Nexmo names none: a hash of the token. */
export function accountIdFor(pair: TokenPair): string {
  return (
    pair.extras.api_key ??
    pair.extras.account_id ??
    createHash('sha256').update(pair.token).digest('hex').slice(0, 12)
  )
}
