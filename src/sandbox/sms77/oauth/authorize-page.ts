import type { RequestHandler, Response } from 'express'
import { z } from 'zod'
import { DEMO_ACCOUNTS } from '../data/demo-accounts.js'
import { toEuro } from '../data/prng.js'
import { parseScopes, SCOPE_MEANINGS, type Scope } from '../scopes.js'
import type { OAuthDeps } from './deps.js'
import { redirectUriProblem, withParams } from './redirect-uri.js'
import { renderConsent, renderOAuthError } from './views.js'

// Repeated parameters arrive as arrays and fail here (RFC 6749 §3.1: "MUST NOT be included more than once").
const AuthorizeQuery = z.object({
  response_type: z.string().optional(),
  client_id: z.string().optional(),
  redirect_uri: z.string().optional(),
  scope: z.string().optional(),
  state: z.string().optional(),
  code_challenge: z.string().optional(),
  code_challenge_method: z.string().optional(),
})
type AuthorizeQuery = z.infer<typeof AuthorizeQuery>

interface Checked {
  scopes: Scope[]
  codeChallenge: string | undefined
  codeChallengeMethod: 'S256' | 'plain' | undefined
}

type Outcome = { ok: true; value: Checked } | { ok: false; error: string; description: string }
const fail = (error: string, description: string): Outcome => ({ ok: false, error, description })

/** The checks whose failure may be reported to the (by now verified) redirect URI. */
function checkRequest(q: AuthorizeQuery): Outcome {
  if (!q.response_type) return fail('invalid_request', 'Invalid or missing response type')
  if (q.response_type !== 'code')
    return fail('unsupported_response_type', 'The response type is not supported')
  if (!q.state) return fail('invalid_request', 'The state parameter is required')
  const scopes = parseScopes(q.scope)
  if (!scopes) return fail('invalid_scope', 'An unsupported scope was requested')
  const method = q.code_challenge ? (q.code_challenge_method ?? 'plain') : undefined
  if (method !== undefined && method !== 'S256' && method !== 'plain') {
    return fail('invalid_request', 'Code challenge method must be "S256" or "plain"')
  }
  if (q.code_challenge !== undefined && !/^[A-Za-z0-9\-._~]{43,128}$/.test(q.code_challenge)) {
    return fail('invalid_request', 'The PKCE code challenge supplied is invalid')
  }
  return { ok: true, value: { scopes, codeChallenge: q.code_challenge, codeChallengeMethod: method } }
}

function showConsent(deps: OAuthDeps, res: Response, q: AuthorizeQuery, checked: Checked): Promise<void> {
  const requestId = deps.store.createAuthRequest({
    clientId: q.client_id ?? '',
    redirectUri: q.redirect_uri ?? '',
    state: q.state,
    ...checked,
  })
  return renderConsent(res, {
    clientId: q.client_id ?? '',
    requestId,
    redirectHost: new URL(q.redirect_uri ?? '').host,
    scopes: checked.scopes.map((name) => ({ name, meaning: SCOPE_MEANINGS[name] })),
    accounts: DEMO_ACCOUNTS.map(({ userId, company, email, alias }) => ({
      userId,
      company,
      email,
      alias,
      balance: toEuro(deps.accounts.get(userId).balance).toFixed(4),
    })),
  })
}

/**
 * GET /authorize (RFC 6749 §4.1.1; PROVIDERS.md §1). Client and redirect URI problems get an
 * error page here, never a redirect; later problems go back to the client with `state`.
 */
export function authorizePage(deps: OAuthDeps): RequestHandler {
  return async (req, res) => {
    const parsed = AuthorizeQuery.safeParse(req.query)
    if (!parsed.success)
      return renderOAuthError(res, 'invalid_request', 'A parameter was sent more than once')
    const q = parsed.data
    if (!q.client_id) return renderOAuthError(res, 'invalid_client', 'No client id supplied')
    if (!deps.options().clients.some((c) => c.id === q.client_id)) {
      return renderOAuthError(res, 'invalid_client', 'The client id supplied is invalid')
    }
    const problem = redirectUriProblem(q.redirect_uri)
    if (problem) return renderOAuthError(res, 'invalid_uri', problem)
    const checked = checkRequest(q)
    if (!checked.ok) {
      const target = withParams(q.redirect_uri ?? '', {
        error: checked.error,
        error_description: checked.description,
        state: q.state,
      })
      return res.redirect(302, target)
    }
    return showConsent(deps, res, q, checked.value)
  }
}
