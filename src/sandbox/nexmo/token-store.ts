import { randomBytes, timingSafeEqual } from 'node:crypto'
import { KeptState } from '../kept-state.js'

/** RFC 5849 §2.1 temporary credentials plus what the consent step adds to them. */
export interface RequestToken {
  token: string
  secret: string
  consumerKey: string
  /** Absolute http(s) URL, or `oob` (§2.1). */
  callback: string
  expiresAt: number
  /** Set once the user pressed Allow (§2.2). */
  verifier?: string
  accountId?: string
}

/** RFC 5849 §2.3 token credentials, bound to the account that consented. */
export interface AccessToken {
  token: string
  secret: string
  consumerKey: string
  accountId: string
}

export const REQUEST_TOKEN_TTL_MS = 10 * 60 * 1000

/** Opaque identifiers only use unreserved characters, so they survive any URL handling. */
function opaque(bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

/**
 * Secrets are standard base64: `+`, `/` and `=` must be §3.6-encoded into the signing
 * key, so a client that skips that step fails here rather than in production.
 */
function secret(): string {
  return randomBytes(27).toString('base64') + '+/='
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Request and access tokens, in memory and, given a store, kept across restarts. */
export class TokenStore {
  private readonly requestTokens
  private readonly accessTokens
  private issuedSinceSweep = 0

  constructor(state = new KeptState()) {
    this.requestTokens = state.map<string, RequestToken>('nexmo:request-tokens')
    this.accessTokens = state.map<string, AccessToken>('nexmo:access-tokens')
  }

  issueRequestToken(consumerKey: string, callback: string, now: number): RequestToken {
    this.sweep(now)
    const rt = {
      token: opaque(18),
      secret: secret(),
      consumerKey,
      callback,
      expiresAt: now + REQUEST_TOKEN_TTL_MS,
    }
    this.requestTokens.set(rt.token, rt)
    return rt
  }

  /** A live (unexpired, unconsumed) request token, or undefined. */
  requestToken(token: string, now: number): RequestToken | undefined {
    const rt = this.requestTokens.get(token)
    if (rt && rt.expiresAt <= now) this.requestTokens.delete(token)
    return rt && rt.expiresAt > now ? rt : undefined
  }

  /** Forget a request token: after a denial or its one successful exchange (§2.3). */
  consumeRequestToken(token: string): void {
    this.requestTokens.delete(token)
  }

  issueAccessToken(consumerKey: string, accountId: string): AccessToken {
    const at = { token: `${accountId}-${opaque(18)}`, secret: secret(), consumerKey, accountId }
    this.accessTokens.set(at.token, at)
    return at
  }

  accessToken(token: string): AccessToken | undefined {
    return this.accessTokens.get(token)
  }

  revokeAccessTokens(): void {
    this.accessTokens.clear()
  }

  private sweep(now: number): void {
    if (++this.issuedSinceSweep < 128) return
    this.issuedSinceSweep = 0
    for (const [token, rt] of this.requestTokens) if (rt.expiresAt <= now) this.requestTokens.delete(token)
  }
}
