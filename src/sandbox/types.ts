/**
 * Shared shapes of the embedded provider sandbox. The sandbox emulates third parties, so
 * it keeps its own state: in memory, and written through to its own Redis keys when the
 * app hands it a store (kept-state.ts), never reading or writing the app's data.
 */
export interface Sms77SandboxOptions {
  /** OAuth clients the emulated oauth.sms77.io knows (client_id / client_secret). */
  clients: Array<{ id: string; secret: string }>
  /** `expires_in` of issued access tokens, seconds (sms77 default 3600). */
  accessTokenTtlSec: number
  /** Lifetime of authorization codes, seconds (bshaffer default 30). */
  codeTtlSec: number
  /** How long a rotated-out refresh token keeps working, seconds (0 = never). */
  refreshGraceSec: number
  /**
   * A refresh token not used within this many seconds is dead (`invalid_grant`). Each use
   * rotates it, so this is the longest a grant may sit idle. Default 1209600 (14 days,
   * bshaffer's `refresh_token_lifetime`, PROVIDERS.md §1 "Lifetime").
   */
  refreshTokenTtlSec?: number
  /** Refuse GET /authorize without a `code_challenge` (proves the client sends PKCE). Default false. */
  requirePkce?: boolean
}

/** bshaffer/oauth2-server-php's default `refresh_token_lifetime`, seconds. */
export const DEFAULT_REFRESH_TOKEN_TTL_SEC = 1_209_600

/**
 * One authenticated call of the emulated `POST /revoke` (RFC 7009). The token itself is
 * never kept: `tokenSha256` (hex) lets a test tell which token it was.
 */
export interface Sms77Revocation {
  /** The client that authenticated the call. */
  clientId: string
  /** How it authenticated: HTTP Basic, or client_id / client_secret in the form body. */
  clientAuth: 'basic' | 'body'
  /** What the token turned out to be; `unknown` when it was not (or no longer) valid. */
  tokenKind: 'refresh_token' | 'access_token' | 'unknown'
  /** `token_type_hint` as sent, when it was one of the two known values. */
  hint: 'refresh_token' | 'access_token' | undefined
  /** revoked; inactive (unknown, expired, already revoked: 200, nothing done); refused (another client's token: 400). */
  outcome: 'revoked' | 'inactive' | 'refused'
  /** The account the grant belonged to, when the token was found. */
  userId: number | undefined
  tokenSha256: string
  /** Epoch milliseconds. */
  at: number
}

export interface NexmoSandboxOptions {
  /** OAuth 1.0a consumers the emulated dashboard.nexmo.com knows. */
  consumers: Array<{ key: string; secret: string }>
  /** Accepted clock skew for `oauth_timestamp`, seconds. */
  timestampWindowSec: number
}

/** The sandbox's OpenID provider (single sign-on), mounted at `/idp` below the sandbox. */
export interface IdpSandboxOptions {
  issuer: string
  clientId: string
  clientSecret: string
  redirectUri: string
}

export interface SandboxOptions {
  sms77: Sms77SandboxOptions
  nexmo: NexmoSandboxOptions
  idp?: IdpSandboxOptions
}

/** Faults a test or benchmark can switch on at run time (issue: fault injection). */
export interface SandboxFaults {
  /** Extra latency added before every gateway / REST API answer, ms. */
  apiLatencyMs: number
  /** Extra latency before every /token answer, ms. */
  tokenLatencyMs: number
  /** Answer every /token call with HTTP `failStatus`. */
  tokenFails: boolean
  /** Answer gateway / REST API calls with HTTP `failStatus`. */
  apiFails: boolean
  /** The status `tokenFails` and `apiFails` answer with (500 unless set; 503 for an outage). */
  failStatus: number
  /** Answer gateway / REST API calls with a malformed JSON body. */
  apiMalformed: boolean
  /** Never answer gateway / REST API calls (the socket stays open). */
  apiHangs: boolean
  /** Answer every sms77 /revoke call with HTTP 503 (nothing is revoked). */
  revokeFails: boolean
}

/** Counters the tests read to prove what happened at the provider. */
export interface SandboxStats {
  sms77: {
    authorizeDecisions: number
    codeExchanges: number
    refreshes: number
    refreshFailures: number
    meCalls: number
    apiCalls: Record<string, number>
    /** How the client authenticated at /token, counted: 'basic' | 'body' | 'none'. */
    tokenClientAuth: Record<string, number>
    /** Authenticated /revoke calls, oldest first (the last 1000). */
    revocations: Sms77Revocation[]
  }
  nexmo: {
    requestTokens: number
    accessTokens: number
    apiCalls: Record<string, number>
    signatureFailures: number
  }
}

/** What the control surface can do to the emulated providers, in process or over HTTP. */
export interface SandboxControl {
  readonly stats: SandboxStats
  readonly faults: SandboxFaults
  options: SandboxOptions
  setFaults(f: Partial<SandboxFaults>): void
  /** Make every issued sms77 access token expired now (to force a refresh). */
  expireSms77AccessTokens(): void
  /** Invalidate every sms77 refresh token (the next refresh answers invalid_grant). */
  revokeSms77RefreshTokens(): void
  /** Invalidate every Nexmo access token (the next API call answers 401). */
  revokeNexmoAccessTokens(): void
  /** The current (valid) refresh tokens of sms77, for tests that check rotation. */
  sms77RefreshTokens(): string[]
  /** A copy of `stats.sms77.revocations`: who revoked what at the emulated /revoke. */
  sms77Revocations(): Sms77Revocation[]
  reset(): void
}

export function emptyStats(): SandboxStats {
  return {
    sms77: {
      authorizeDecisions: 0,
      codeExchanges: 0,
      refreshes: 0,
      refreshFailures: 0,
      meCalls: 0,
      apiCalls: {},
      tokenClientAuth: {},
      revocations: [],
    },
    nexmo: { requestTokens: 0, accessTokens: 0, apiCalls: {}, signatureFailures: 0 },
  }
}

export function noFaults(): SandboxFaults {
  return {
    apiLatencyMs: 0,
    tokenLatencyMs: 0,
    tokenFails: false,
    apiFails: false,
    failStatus: 500,
    apiMalformed: false,
    apiHangs: false,
    revokeFails: false,
  }
}
