import express, { type Request, type Response } from 'express'
import type { NexmoContext } from './context.js'
import {
  verifyOAuthRequest,
  type OAuthFailureInfo,
  type OAuthRequest,
  type VerifyOutcome,
} from './oauth1-verify.js'
import { formEncode, percentEncode, type Pair } from './percent-encode.js'

/**
 * Keeps form bodies as raw text: the verifier needs every pair, repeats included, with
 * its original encoding (RFC 5849 §3.4.1.3.1), which a parsed object would lose.
 */
export const rawFormBody = express.text({ type: 'application/x-www-form-urlencoded', limit: '64kb' })

/**
 * The request as the client addressed it: scheme, `Host` header and the full original
 * URL, prefix included, because that is what the client signed (§3.4.1.2).
 */
export function toOAuthRequest(req: Request): OAuthRequest {
  return {
    method: req.method,
    url: `${req.protocol}://${req.get('host') ?? ''}${req.originalUrl}`,
    authorization: req.get('authorization'),
    formBody: formBodyOf(req),
  }
}

function formBodyOf(req: Request): string {
  if (!req.is('application/x-www-form-urlencoded')) return ''
  const body: unknown = req.body
  if (typeof body === 'string') return body
  // An app-wide urlencoded parser ran first: rebuild the pairs (exact for flat forms).
  if (body && typeof body === 'object') return formEncode(flatten(body as Record<string, unknown>))
  return ''
}

function flatten(body: Record<string, unknown>): Pair[] {
  return Object.entries(body).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((v): Pair => [name, String(v)]),
  )
}

/** Runs the verifier with the current options and counts every refusal. */
export function verifySigned(
  ctx: NexmoContext,
  req: Request,
  tokenSecret?: (token: string, consumerKey: string) => string | undefined,
): VerifyOutcome {
  const options = ctx.options()
  const outcome = verifyOAuthRequest(toOAuthRequest(req), {
    consumers: options.consumers,
    nowSec: Math.floor(Date.now() / 1000),
    timestampWindowSec: options.timestampWindowSec,
    nonces: ctx.nonces,
    tokenSecret,
  })
  if (!outcome.ok) ctx.stats.signatureFailures++
  return outcome
}

/** `WWW-Authenticate` naming the problem, so even a JSON error body stays debuggable. */
export function setChallenge(res: Response, realm: string, failure: OAuthFailureInfo): void {
  res.set(
    'WWW-Authenticate',
    `OAuth realm="${realm}", oauth_problem="${failure.problem}", oauth_problem_advice="${percentEncode(failure.advice)}"`,
  )
}

/**
 * OAuth Problem Reporting style answer for the token endpoints:
 * `oauth_problem=…&oauth_problem_advice=…` form-encoded, with extra fields such as
 * `oauth_acceptable_timestamps` or `debug_sbs`.
 */
export function sendOAuthProblem(res: Response, failure: OAuthFailureInfo): void {
  if (failure.status === 401) setChallenge(res, 'dashboard.nexmo.com', failure)
  const pairs: Pair[] = [
    ['oauth_problem', failure.problem],
    ['oauth_problem_advice', failure.advice],
    ...Object.entries(failure.extra),
  ]
  res.status(failure.status).type('application/x-www-form-urlencoded').send(formEncode(pairs))
}
