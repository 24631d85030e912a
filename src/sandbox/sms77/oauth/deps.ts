import {
  DEFAULT_REFRESH_TOKEN_TTL_SEC,
  type SandboxFaults,
  type SandboxStats,
  type Sms77SandboxOptions,
} from '../../types.js'
import type { AccountStore } from '../account-store.js'
import type { Lifetimes, OAuthStore } from '../oauth-store.js'

/** What the emulated oauth.sms77.io endpoints share. */
export interface OAuthDeps {
  /** Read on every request: tests change options at run time. */
  options: () => Sms77SandboxOptions
  store: OAuthStore
  accounts: AccountStore
  stats: SandboxStats['sms77']
  faults: SandboxFaults
}

/** Token lifetimes as the options say right now. */
export function lifetimes(deps: OAuthDeps): Lifetimes {
  const o = deps.options()
  return {
    accessTtlSec: o.accessTokenTtlSec,
    refreshTtlSec: o.refreshTokenTtlSec ?? DEFAULT_REFRESH_TOKEN_TTL_SEC,
  }
}
