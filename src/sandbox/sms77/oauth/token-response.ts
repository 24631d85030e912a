import type { TokenPair } from '../oauth-store.js'
import { formatScopes } from '../scopes.js'

export type TokenBody = Record<string, string | undefined>

/** RFC 6749 §5.1 success body, with `scope` space-separated (PROVIDERS.md §1 "Token success"). */
export function tokenResponse(pair: TokenPair) {
  return {
    access_token: pair.accessToken,
    expires_in: Math.max(0, Math.ceil((pair.access.expiresAt - Date.now()) / 1000)),
    token_type: 'Bearer',
    scope: formatScopes(pair.access.scopes),
    refresh_token: pair.refreshToken,
  }
}
