import type { Request, RequestHandler, Response } from 'express'
import { delay } from '../faults.js'
import { authenticateClient, presentedCredentials } from './client-auth.js'
import type { OAuthDeps } from './deps.js'
import { exchangeCode } from './grant-code.js'
import { refreshTokens } from './grant-refresh.js'
import { sendTokenError, TokenError } from './token-error.js'
import type { TokenBody } from './token-response.js'

const GRANTS = { authorization_code: exchangeCode, refresh_token: refreshTokens } as const

/** The form fields, as single strings only: a repeated field is as good as absent. */
export function tokenBody(req: Request): TokenBody {
  const raw = (req.body ?? {}) as Record<string, unknown>
  const body: TokenBody = {}
  for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') body[k] = v
  return body
}

/** bshaffer's order: grant type, then client authentication, then the grant itself. */
function grantTokens(deps: OAuthDeps, req: Request, body: TokenBody) {
  const type = body.grant_type
  if (!type) throw new TokenError('invalid_request', 'The grant type was not specified in the request')
  if (!Object.hasOwn(GRANTS, type))
    throw new TokenError('unsupported_grant_type', `Grant type "${type}" not supported`)
  const presented = presentedCredentials(req, body)
  deps.stats.tokenClientAuth[presented.method] = (deps.stats.tokenClientAuth[presented.method] ?? 0) + 1
  const clientId = authenticateClient(presented, deps.options())
  return GRANTS[type as keyof typeof GRANTS](deps, clientId, body)
}

function answer(deps: OAuthDeps, req: Request, res: Response, body: TokenBody): void {
  try {
    const tokens = grantTokens(deps, req, body)
    res.status(200).set('Cache-Control', 'no-store').set('Pragma', 'no-cache').json(tokens)
  } catch (err) {
    if (!(err instanceof TokenError)) throw err
    if (body.grant_type === 'refresh_token') deps.stats.refreshFailures++
    sendTokenError(res, err)
  }
}

/**
 * POST /token (RFC 6749 §3.2, §4.1.3, §6), form-encoded. Faults come first: `tokenFails`
 * answers 500 before anything is looked at, so a retried code still works afterwards.
 */
export function tokenEndpoint(deps: OAuthDeps): RequestHandler {
  return async (req, res) => {
    const body = tokenBody(req)
    if (deps.faults.tokenLatencyMs > 0) await delay(deps.faults.tokenLatencyMs)
    if (deps.faults.tokenFails) {
      if (body.grant_type === 'refresh_token') deps.stats.refreshFailures++
      res
        .status(deps.faults.failStatus)
        .set('Cache-Control', 'no-store')
        .json({ error: deps.faults.failStatus === 503 ? 'temporarily_unavailable' : 'server_error' })
      return
    }
    answer(deps, req, res, body)
  }
}
