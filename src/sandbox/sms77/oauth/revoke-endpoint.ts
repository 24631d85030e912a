import type { Request, RequestHandler, Response } from 'express'
import { authenticateClient, presentedCredentials } from './client-auth.js'
import type { OAuthDeps } from './deps.js'
import { revokeToken, type TokenHint } from './revoke-token.js'
import { tokenBody } from './token-endpoint.js'
import { sendTokenError, TokenError } from './token-error.js'

const HINTS: readonly string[] = ['refresh_token', 'access_token'] satisfies TokenHint[]

// RFC 7009 §2.1: an unsupported hint is ignored (the search covers every kind anyway).
function readHint(raw: string | undefined): TokenHint | undefined {
  return raw !== undefined && HINTS.includes(raw) ? (raw as TokenHint) : undefined
}

/** Client authentication first, then the token (RFC 7009 §2.1). */
function revoke(deps: OAuthDeps, req: Request): void {
  const body = tokenBody(req)
  const presented = presentedCredentials(req, body)
  const clientId = authenticateClient(presented, deps.options())
  if (!body.token) throw new TokenError('invalid_request', 'Missing token parameter to revoke')
  const clientAuth = presented.method === 'basic' ? 'basic' : 'body'
  const hint = readHint(body.token_type_hint)
  const record = revokeToken(deps, { clientId, clientAuth }, body.token, hint)
  // RFC 7009 §2.1: "verifies whether the token was issued to the client making the
  // revocation request. If this validation fails, the request is refused".
  if (record.outcome === 'refused')
    throw new TokenError('unauthorized_client', 'The token was not issued to this client')
}

function sendRevokeError(res: Response, err: TokenError): void {
  // RFC 6749 §5.2: a failed client authentication is 401 with a challenge.
  if (err.error === 'invalid_client') {
    res.set('WWW-Authenticate', 'Basic realm="Service"')
    return sendTokenError(res, new TokenError(err.error, err.description, 401))
  }
  sendTokenError(res, err)
}

/**
 * POST /revoke (RFC 7009; PROVIDERS.md §1): form `token`, optional `token_type_hint`, client
 * authenticated like at /token. 200 `{"revoked":true}` (bshaffer's body; clients ignore it,
 * §2.2) also for unknown, expired or already revoked tokens.
 */
export function revokeEndpoint(deps: OAuthDeps): RequestHandler {
  return (req, res) => {
    res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache')
    if (deps.faults.revokeFails) {
      res.status(503).json({ error: 'temporarily_unavailable' })
      return
    }
    try {
      revoke(deps, req)
      res.status(200).json({ revoked: true })
    } catch (err) {
      if (!(err instanceof TokenError)) throw err
      sendRevokeError(res, err)
    }
  }
}
