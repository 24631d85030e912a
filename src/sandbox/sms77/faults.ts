import type { RequestHandler } from 'express'
import type { SandboxFaults } from '../types.js'

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The broken body `apiMalformed` answers with: valid start, truncated mid-object. */
export const MALFORMED_BODY = '{"amount":'

/**
 * Fault injection for the gateway and /me (src/sandbox/types.ts `SandboxFaults`).
 * Faults win over authentication: an outage does not look at credentials.
 */
export function injectApiFaults(faults: SandboxFaults): RequestHandler {
  return async (req, res, next) => {
    if (faults.apiLatencyMs > 0) await delay(faults.apiLatencyMs)
    // Leave the request open: the caller's timeout must fire. Closing the server still
    // works because the test helper and the app destroy open sockets on shutdown.
    if (faults.apiHangs) return
    if (req.socket.destroyed) return
    if (faults.apiFails) {
      res.status(faults.failStatus).json({ error: 'server_error' })
      return
    }
    if (faults.apiMalformed) {
      res.status(200).type('application/json').send(MALFORMED_BODY)
      return
    }
    next()
  }
}
