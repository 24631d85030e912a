import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import {
  createSandbox,
  SANDBOX_PATHS,
  type SandboxControl,
  type SandboxOptions,
} from '../../src/sandbox/index.js'

export interface RunningSandbox {
  origin: string
  sms77OAuthUrl: string
  sms77ApiUrl: string
  nexmoOAuthUrl: string
  nexmoRestUrl: string
  control: SandboxControl
  close(): Promise<void>
}

export const TEST_SMS77_CLIENT = { id: 'test-client', secret: 'test-secret-0123456789' }
export const TEST_NEXMO_CONSUMER = { key: 'test-consumer', secret: 'test-consumer-secret' }

/** Starts the sandbox on a real loopback port, as a provider would be: a separate server. */
export async function startSandbox(overrides: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  const options: SandboxOptions = {
    sms77: { clients: [TEST_SMS77_CLIENT], accessTokenTtlSec: 3600, codeTtlSec: 30, refreshGraceSec: 0 },
    nexmo: { consumers: [TEST_NEXMO_CONSUMER], timestampWindowSec: 300 },
    ...overrides,
  }
  const sandbox = createSandbox(options)
  const app = express()
  app.use('/sandbox', sandbox.router)
  const server = http.createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const base = `${origin}/sandbox`
  return {
    origin,
    sms77OAuthUrl: base + SANDBOX_PATHS.sms77OAuth,
    sms77ApiUrl: base + SANDBOX_PATHS.sms77Api,
    nexmoOAuthUrl: base + SANDBOX_PATHS.nexmoOAuth,
    nexmoRestUrl: base + SANDBOX_PATHS.nexmoRest,
    control: sandbox.control,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
