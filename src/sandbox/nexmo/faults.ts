import { setTimeout as delay } from 'node:timers/promises'
import type { RequestHandler } from 'express'
import type { SandboxFaults } from '../types.js'

/**
 * Injected provider misbehaviour for the REST API, checked per request so a test can
 * flip it mid-run. Latency comes first so it also delays the other faults, as a slow
 * upstream would.
 */
export function faultGate(faults: SandboxFaults): RequestHandler {
  return async (_req, res, next) => {
    if (faults.apiLatencyMs > 0) await delay(faults.apiLatencyMs)
    // Leave the request unanswered: the client must notice through its own timeout.
    if (faults.apiHangs) return
    if (faults.apiFails) {
      res
        .status(faults.failStatus)
        .json({ 'error-code': String(faults.failStatus), 'error-code-label': 'internal error' })
      return
    }
    if (faults.apiMalformed) {
      res
        .status(200)
        .type('application/json')
        .send('{"message-count":"1","messages":[{"status":"0","remaining-bal')
      return
    }
    next()
  }
}
