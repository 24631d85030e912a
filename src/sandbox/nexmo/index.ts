import type { Router } from 'express'
import type { NexmoSandboxOptions, SandboxFaults, SandboxStats } from '../types.js'
import { createAccounts } from './accounts.js'
import type { NexmoContext } from './context.js'
import { NonceStore } from './nonce-store.js'
import { oauthRouter } from './oauth-routes.js'
import { restRouter } from './rest-routes.js'
import { TokenStore } from './token-store.js'
import type { KeptState } from '../kept-state.js'

export interface NexmoSandboxDeps {
  options: () => NexmoSandboxOptions
  stats: SandboxStats['nexmo']
  faults: SandboxFaults
  /** Where tokens and balances are kept across restarts (none: memory only). */
  state?: KeptState
}

/**
 * Emulates Nexmo's OAuth 1.0a provider (RFC 5849) and the two REST calls the app
 * makes with it. `oauth` stands in for `https://dashboard.nexmo.com/oauth`, `rest` for
 * `https://rest.nexmo.com`; all state (tokens, nonces, demo balances) lives in memory
 * and belongs to this instance.
 */
export function createNexmoSandbox(deps: NexmoSandboxDeps): {
  oauth: Router
  rest: Router
  revokeAccessTokens(): void
} {
  const ctx: NexmoContext = {
    ...deps,
    nonces: new NonceStore(),
    tokens: new TokenStore(deps.state),
    accounts: createAccounts(deps.state),
  }
  return {
    oauth: oauthRouter(ctx),
    rest: restRouter(ctx),
    revokeAccessTokens: () => ctx.tokens.revokeAccessTokens(),
  }
}
