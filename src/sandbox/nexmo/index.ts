// PLACEHOLDER: the Nexmo emulator is being written (see src/sandbox/types.ts for the contract).
import express, { type Router } from 'express'
import type { NexmoSandboxOptions, SandboxFaults, SandboxStats } from '../types.js'

export interface NexmoSandboxDeps {
  options: () => NexmoSandboxOptions
  stats: SandboxStats['nexmo']
  faults: SandboxFaults
}

export function createNexmoSandbox(_deps: NexmoSandboxDeps): {
  oauth: Router
  rest: Router
  revokeAccessTokens(): void
} {
  return { oauth: express.Router(), rest: express.Router(), revokeAccessTokens() {} }
}
