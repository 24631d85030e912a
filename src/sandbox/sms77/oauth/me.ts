import type { RequestHandler } from 'express'
import { checkBearer } from '../bearer.js'
import { findDemoAccount } from '../data/demo-accounts.js'
import { toEuro } from '../data/prng.js'
import type { OAuthDeps } from './deps.js'

const DESCRIPTIONS = {
  invalid: 'The access token provided is invalid',
  expired: 'The access token provided has expired',
} as const

/**
 * GET /me, the profile seven's integrations use as their connection test (PROVIDERS.md §1
 * "Profile"). Bearer failures follow RFC 6750 §3.1 as bshaffer words them.
 */
export function meEndpoint(deps: OAuthDeps): RequestHandler {
  return (req, res) => {
    const bearer = checkBearer(deps.store, req)
    res.set('Cache-Control', 'no-store')
    if (!bearer.ok) {
      res.set('WWW-Authenticate', 'Bearer realm="Service", error="invalid_token"')
      res.status(401).json({ error: 'invalid_token', error_description: DESCRIPTIONS[bearer.reason] })
      return
    }
    const userId = bearer.grant.userId
    const profile = findDemoAccount(userId)
    res.json({
      success: true,
      user_id: userId,
      email: profile?.email ?? '',
      company: profile?.company ?? '',
      alias: profile?.alias ?? '',
      balance: toEuro(deps.accounts.get(userId).balance).toFixed(4),
    })
  }
}
