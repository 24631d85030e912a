import type { Router } from 'express'
import type { SandboxFaults, SandboxStats, Sms77SandboxOptions } from '../types.js'
import { AccountStore } from './account-store.js'
import { createGatewayRouter } from './gateway/routes.js'
import { OAuthStore } from './oauth-store.js'
import { createOAuthRouter } from './oauth/routes.js'
import type { KeptState } from '../kept-state.js'

export interface Sms77SandboxDeps {
  /** Read on every request: tests change the options while the sandbox runs. */
  options: () => Sms77SandboxOptions
  stats: SandboxStats['sms77']
  faults: SandboxFaults
  /** Where grants, codes and accounts are kept across restarts (none: memory only). */
  state?: KeptState
}

export interface Sms77Sandbox {
  /** Mount at `<mount>/sms77/oauth`; emulates https://oauth.sms77.io. */
  oauth: Router
  /** Mount at `<mount>/sms77/api`; emulates https://gateway.sms77.io/api. */
  api: Router
  /** Every issued access token counts as expired from now on (forces a refresh). */
  expireAccessTokens(): void
  /** Every refresh token stops working (the next refresh answers invalid_grant). */
  revokeRefreshTokens(): void
  /** Refresh tokens that currently work and have not been rotated out. */
  refreshTokens(): string[]
}

/**
 * The sms77 / seven provider emulator: OAuth 2.0 authorization-code flow with rotating
 * refresh tokens (RFC 6749 §4.1, §6) and the gateway API both SDKs call, with all state
 * in memory, kept in a store when given one (PROVIDERS.md §1, §2, §4, §5).
 */
export function createSms77Sandbox(deps: Sms77SandboxDeps): Sms77Sandbox {
  const store = new OAuthStore(deps.state)
  const accounts = new AccountStore(new Date(), deps.state)
  const shared = { ...deps, store, accounts }
  return {
    oauth: createOAuthRouter(shared),
    api: createGatewayRouter(shared),
    expireAccessTokens: () => store.expireAccessTokens(),
    revokeRefreshTokens: () => store.revokeRefreshTokens(),
    refreshTokens: () => store.currentRefreshTokens(),
  }
}
