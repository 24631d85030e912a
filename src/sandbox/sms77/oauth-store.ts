import { randomBytes } from 'node:crypto'
import { KeptState } from '../kept-state.js'
import type { Scope } from './scopes.js'

/** A GET /authorize that passed validation, waiting for the user's decision. */
export interface AuthRequest {
  clientId: string
  redirectUri: string
  scopes: Scope[]
  state: string | undefined
  /** RFC 7636 S256 challenge; the sandbox accepts no other method. */
  codeChallenge: string | undefined
  expiresAt: number
}

export interface CodeGrant extends Omit<AuthRequest, 'state'> {
  userId: number
}

export interface AccessGrant {
  /** One per code exchange, shared by every token rotated from it (RFC 7009 §2.1 "same grant"). */
  grantId: string
  clientId: string
  userId: number
  scopes: Scope[]
  expiresAt: number
}

export interface RefreshGrant extends AccessGrant {
  /** The access token handed out together with this refresh token. */
  accessToken: string
  /** When it was exchanged for a newer pair (then `successor` is that pair's refresh token). */
  rotatedAt?: number
  successor?: string
}

export interface TokenPair {
  accessToken: string
  refreshToken: string
  access: AccessGrant
}

export interface Lifetimes {
  accessTtlSec: number
  refreshTtlSec: number
}

export type GrantOwner = Pick<AccessGrant, 'clientId' | 'userId' | 'scopes'> & { grantId?: string }

const AUTH_REQUEST_TTL_MS = 10 * 60_000
// Expired access tokens are remembered a while so /me can say "has expired" rather than "invalid".
const EXPIRED_MEMORY_MS = 86_400_000

/** 40 hex characters, the length bshaffer's server issues (and the docs' examples show). */
export function newToken(): string {
  return randomBytes(20).toString('hex')
}

/**
 * The OAuth state of one emulated oauth.sms77.io: requests, codes and tokens, in memory and,
 * given a store, kept across restarts (kept-state.ts).
 */
export class OAuthStore {
  private readonly requests
  private readonly codes
  private readonly access
  private readonly refresh
  private lastSweep = Date.now()

  constructor(state = new KeptState()) {
    this.requests = state.map<string, AuthRequest>('sms77:requests')
    this.codes = state.map<string, CodeGrant>('sms77:codes')
    this.access = state.map<string, AccessGrant>('sms77:access')
    this.refresh = state.map<string, RefreshGrant>('sms77:refresh')
  }

  createAuthRequest(req: Omit<AuthRequest, 'expiresAt'>): string {
    const id = randomBytes(16).toString('hex')
    this.requests.set(id, { ...req, expiresAt: Date.now() + AUTH_REQUEST_TTL_MS })
    return id
  }

  /** Single use: the request is gone after this, whatever the decision. */
  takeAuthRequest(id: string): AuthRequest | undefined {
    const req = this.requests.get(id)
    this.requests.delete(id)
    return req && req.expiresAt > Date.now() ? req : undefined
  }

  issueCode(grant: Omit<CodeGrant, 'expiresAt'>, ttlSec: number): string {
    const code = newToken()
    this.codes.set(code, { ...grant, expiresAt: Date.now() + ttlSec * 1000 })
    return code
  }

  /** Deletes the code on first sight (RFC 6749 §4.1.2: single use), expired or not. */
  takeCode(code: string): CodeGrant | undefined {
    const grant = this.codes.get(code)
    this.codes.delete(code)
    return grant
  }

  /** A new pair; without `owner.grantId` it starts a new grant (a code exchange). */
  issuePair(owner: GrantOwner, ttl: Lifetimes, accessScopes = owner.scopes): TokenPair {
    this.sweepNowAndThen()
    const accessToken = newToken()
    const refreshToken = newToken()
    const base = { ...owner, grantId: owner.grantId ?? newToken() }
    const access = { ...base, scopes: accessScopes, expiresAt: Date.now() + ttl.accessTtlSec * 1000 }
    this.access.set(accessToken, access)
    this.refresh.set(refreshToken, { ...base, accessToken, expiresAt: Date.now() + ttl.refreshTtlSec * 1000 })
    return { accessToken, refreshToken, access }
  }

  /** Rotation: the old refresh token now only points at its successor. */
  rotate(oldToken: string, old: RefreshGrant, ttl: Lifetimes, accessScopes?: Scope[]): TokenPair {
    const { grantId, clientId, userId, scopes } = old
    const pair = this.issuePair({ grantId, clientId, userId, scopes }, ttl, accessScopes)
    this.refresh.set(oldToken, { ...old, rotatedAt: Date.now(), successor: pair.refreshToken })
    return pair
  }

  /** The newest pair descending from a rotated-out refresh token (for the grace period). */
  newestPair(token: string, accessTtlSec: number): TokenPair | undefined {
    let current = token
    let grant = this.refresh.get(current)
    for (let hops = 0; grant?.successor && hops < 1000; hops++) {
      current = grant.successor
      grant = this.refresh.get(current)
    }
    if (!grant) return undefined
    let access = this.findAccess(grant.accessToken)
    if (!access || access.expiresAt <= Date.now()) {
      // Its access token lapsed meanwhile: mint a new one for the same refresh token.
      const accessToken = newToken()
      access = {
        grantId: grant.grantId,
        clientId: grant.clientId,
        userId: grant.userId,
        scopes: grant.scopes,
        expiresAt: Date.now() + accessTtlSec * 1000,
      }
      this.access.set(accessToken, access)
      this.refresh.set(current, { ...grant, accessToken })
      return { accessToken, refreshToken: current, access }
    }
    return { accessToken: grant.accessToken, refreshToken: current, access }
  }

  findAccess(token: string): AccessGrant | undefined {
    return this.access.get(token)
  }

  findRefresh(token: string): RefreshGrant | undefined {
    return this.refresh.get(token)
  }

  /** Ends one access token; the rest of its grant lives on (RFC 7009 §2.1). */
  revokeAccess(token: string): void {
    this.access.delete(token)
  }

  /** Ends a whole grant: every refresh token of its rotation chain and every access token. */
  revokeGrant(grantId: string): void {
    for (const [t, g] of this.access) if (g.grantId === grantId) this.access.delete(t)
    for (const [t, g] of this.refresh) if (g.grantId === grantId) this.refresh.delete(t)
  }

  expireAccessTokens(): void {
    const past = Date.now() - 1
    for (const [token, grant] of this.access) {
      grant.expiresAt = Math.min(grant.expiresAt, past)
      this.access.keep(token)
    }
  }

  revokeRefreshTokens(): void {
    this.refresh.clear()
  }

  /** Refresh tokens that are neither expired nor rotated out (grace-period ones are not listed). */
  currentRefreshTokens(): string[] {
    const now = Date.now()
    return [...this.refresh].filter(([, g]) => g.rotatedAt === undefined && g.expiresAt > now).map(([t]) => t)
  }

  private sweepNowAndThen(): void {
    const now = Date.now()
    if (now - this.lastSweep < 60_000) return
    this.lastSweep = now
    const drop = <T>(map: Map<string, T>, dead: (v: T) => boolean) => {
      for (const [k, v] of map) if (dead(v)) map.delete(k)
    }
    drop(this.requests, (r) => r.expiresAt <= now)
    drop(this.codes, (c) => c.expiresAt + 60_000 <= now)
    drop(this.access, (a) => a.expiresAt + EXPIRED_MEMORY_MS <= now)
    // A rotated-out token older than a day is past any sensible grace period.
    drop(
      this.refresh,
      (r) => r.expiresAt <= now || (r.rotatedAt !== undefined && r.rotatedAt + 86_400_000 <= now),
    )
  }
}
