import type { SandboxFaults, SandboxStats, Sms77SandboxOptions } from '../../types.js'
import type { AccountStore } from '../account-store.js'
import type { OAuthStore } from '../oauth-store.js'

/** What the emulated oauth.sms77.io endpoints share. */
export interface OAuthDeps {
  /** Read on every request: tests change options at run time. */
  options: () => Sms77SandboxOptions
  store: OAuthStore
  accounts: AccountStore
  stats: SandboxStats['sms77']
  faults: SandboxFaults
}
