import type { NonceStore } from './nonce-store.js'
import type { Pair } from './percent-encode.js'

/**
 * Problem names from the OAuth Problem Reporting extension (the de-facto vocabulary of
 * OAuth 1.0a servers), so a client's logs say exactly which check failed.
 */
export type OAuthProblem =
  | 'parameter_absent'
  | 'parameter_rejected'
  | 'signature_method_rejected'
  | 'version_rejected'
  | 'timestamp_refused'
  | 'nonce_used'
  | 'consumer_key_unknown'
  | 'token_rejected'
  | 'signature_invalid'
  /** Not a verifier outcome: the access-token endpoint's answer to a wrong `oauth_verifier`. */
  | 'verifier_invalid'

/** A verification failure: HTTP status, problem name, human advice, extra report fields. */
export interface OAuthFailureInfo {
  status: 400 | 401
  problem: OAuthProblem
  advice: string
  extra: Record<string, string>
}

/** The request as the server received it. */
export interface OAuthRequest {
  method: string
  /** Absolute URL rebuilt from scheme, `Host` header and the raw path + query. */
  url: string
  authorization: string | undefined
  /** The raw `application/x-www-form-urlencoded` body, `''` for other bodies (§3.4.1.3.1). */
  formBody: string
}

/** What the endpoint expects; `tokenSecret` undefined means "consumer-only request". */
export interface VerifyPolicy {
  consumers: ReadonlyArray<{ key: string; secret: string }>
  nowSec: number
  timestampWindowSec: number
  nonces: NonceStore
  /** Secret of a token valid for this consumer, or undefined when the token is unknown. */
  tokenSecret?: (token: string, consumerKey: string) => string | undefined
}

export type VerifyOutcome =
  | {
      ok: true
      consumerKey: string
      token: string | undefined
      protocol: ReadonlyMap<string, string>
      params: Pair[]
    }
  | ({ ok: false } & OAuthFailureInfo)
