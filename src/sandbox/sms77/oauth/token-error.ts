import type { Response } from 'express'

/**
 * An OAuth error as bshaffer/oauth2-server-php words it (PROVIDERS.md §1 "OAuth errors";
 * RFC 6749 §5.2): `{"error","error_description"}`, HTTP 400 unless said otherwise.
 */
export class TokenError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
  ) {
    super(`${error}: ${description}`)
  }
}

export function sendTokenError(res: Response, err: TokenError): void {
  res.status(err.status).set('Cache-Control', 'no-store').set('Pragma', 'no-cache')
  res.json({ error: err.error, error_description: err.description })
}

export const invalidCode = () =>
  new TokenError('invalid_grant', "Authorization code doesn't exist or is invalid for the client")
export const invalidRefresh = () => new TokenError('invalid_grant', 'Invalid refresh token')
export const missing = (name: string) =>
  new TokenError('invalid_request', `Missing parameter: "${name}" is required`)
