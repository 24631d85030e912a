import type { NexmoSandboxOptions, SandboxFaults, SandboxStats } from '../types.js'
import type { KeptMap } from '../kept-state.js'
import type { DemoAccount } from './accounts.js'
import type { NonceStore } from './nonce-store.js'
import type { TokenStore } from './token-store.js'

/** Everything one sandbox instance shares between its two routers. */
export interface NexmoContext {
  /** Read on every request so tests can change consumers or the window at run time. */
  options: () => NexmoSandboxOptions
  stats: SandboxStats['nexmo']
  faults: SandboxFaults
  nonces: NonceStore
  tokens: TokenStore
  accounts: KeptMap<string, DemoAccount>
}
