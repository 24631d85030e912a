import type { Request, RequestHandler } from 'express'
import { ForbiddenError } from '../errors/app-error.js'
import { regenerate, saveSession } from '../auth/session.js'
import type { User } from '../auth/user-store.js'

/** Password done, second step not yet: what the session holds meanwhile (no userId). */
export interface PendingSignIn {
  tenantId: string
  userId: string
  /** `code`: enter a code; `setup`: two-step is required and must be set up first. */
  need: 'code' | 'setup'
  at: number
}

declare module 'express-session' {
  interface SessionData {
    pendingSignIn?: PendingSignIn
  }
}

/** How long the second step may wait after the password. */
export const PENDING_TTL_MS = 10 * 60_000
export const TWO_STEP_PATH = '/login/two-step'
const REACHABLE = new Set([TWO_STEP_PATH, '/logout'])

/** A fresh session that is not signed in, only waiting for the second step. */
export async function startPending(req: Request, user: User, need: PendingSignIn['need']): Promise<void> {
  const returnTo = req.session.returnTo // a reconnect link waiting for this sign-in
  await regenerate(req)
  if (returnTo) req.session.returnTo = returnTo
  req.session.pendingSignIn = { tenantId: user.tenantId, userId: user.id, need, at: Date.now() }
  await saveSession(req)
}

export function pendingOf(req: Request, now = Date.now()): PendingSignIn | undefined {
  const p = req.session?.pendingSignIn
  return p && now - p.at < PENDING_TTL_MS ? p : undefined
}

/**
 * A half-signed-in session reaches /login/two-step and /logout only. It holds no userId,
 * so nothing else treats it as signed in anyway; this keeps it on the way to the second
 * step (a page is sent there, anything else refused). An expired one is simply dropped.
 */
export const confineHalfSignedIn: RequestHandler = (req, res, next) => {
  if (!req.session?.pendingSignIn) return next()
  if (!pendingOf(req)) {
    delete req.session.pendingSignIn
    return next()
  }
  if (REACHABLE.has(req.path)) return next()
  if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, TWO_STEP_PATH)
  next(new ForbiddenError('Finish signing in first.'))
}
