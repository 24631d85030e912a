// PLACEHOLDER: the sms77 emulator is being written (see src/sandbox/types.ts for the contract).
import express, { type Router } from 'express'
import type { SandboxFaults, SandboxStats, Sms77SandboxOptions } from '../types.js'

export interface Sms77SandboxDeps {
  options: () => Sms77SandboxOptions
  stats: SandboxStats['sms77']
  faults: SandboxFaults
}

export function createSms77Sandbox(_deps: Sms77SandboxDeps): {
  oauth: Router
  api: Router
  expireAccessTokens(): void
  revokeRefreshTokens(): void
  refreshTokens(): string[]
} {
  return {
    oauth: express.Router(),
    api: express.Router(),
    expireAccessTokens() {},
    revokeRefreshTokens() {},
    refreshTokens: () => [],
  }
}
