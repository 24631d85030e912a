import type { RequestHandler } from 'express'
import { z } from 'zod'
import { findDemoAccount } from '../data/demo-accounts.js'
import type { OAuthDeps } from './deps.js'
import { withParams } from './redirect-uri.js'
import { renderOAuthError } from './views.js'

// Only the server-side request id travels through the form, so client, redirect URI and
// scopes cannot be edited in the browser between consent and code.
const DecisionForm = z.object({
  request_id: z.string().min(1),
  decision: z.enum(['allow', 'deny']),
  account: z.coerce.number().int().optional(),
})

/** POST /authorize: the user's Allow or Deny on the consent page (RFC 6749 §4.1.2). */
export function authorizeDecision(deps: OAuthDeps): RequestHandler {
  return async (req, res) => {
    const form = DecisionForm.safeParse(req.body ?? {})
    if (!form.success) return renderOAuthError(res, 'invalid_request', 'The consent form was incomplete')
    const { request_id, decision, account } = form.data
    const profile = account === undefined ? undefined : findDemoAccount(account)
    if (decision === 'allow' && !profile)
      return renderOAuthError(res, 'invalid_request', 'Choose an account to sign in as')
    const request = deps.store.takeAuthRequest(request_id)
    if (!request) {
      return renderOAuthError(
        res,
        'invalid_request',
        'This authorization request has expired or was already used',
      )
    }
    deps.stats.authorizeDecisions++
    if (decision === 'deny' || !profile) {
      const description = 'The user denied access to your application'
      const target = withParams(request.redirectUri, {
        error: 'access_denied',
        error_description: description,
        state: request.state,
      })
      return res.redirect(302, target)
    }
    const { state: _state, expiresAt: _expiresAt, ...grant } = request
    const code = deps.store.issueCode({ ...grant, userId: profile.userId }, deps.options().codeTtlSec)
    res.redirect(302, withParams(request.redirectUri, { code, state: request.state }))
  }
}
