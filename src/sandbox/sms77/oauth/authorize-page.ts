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
}

type Outcome = { ok: true; value: Checked } | { ok: false; error: string; description: string }
const fail = (error: string, description: string): Outcome => ({ ok: false, error, description })

/**
 * RFC 7636 §4.3, §4.4.1: only S256 is accepted (RFC 9700 §2.1.1); a challenge without a
 * method means `plain` and is refused too. With `requirePkce` a challenge is mandatory.
 */
function pkceProblem(q: AuthorizeQuery, requirePkce: boolean): string | undefined {
  if (q.code_challenge === undefined)
    return requirePkce ? 'This client must send a PKCE code challenge (S256)' : undefined
  if ((q.code_challenge_method ?? 'plain') !== 'S256') return 'Code challenge method must be "S256"'
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(q.code_challenge))
    return 'The PKCE code challenge supplied is invalid'
  return undefined
}

/** The checks whose failure may be reported to the (by now verified) redirect URI. */
function checkRequest(q: AuthorizeQuery, requirePkce: boolean): Outcome {
  if (!q.response_type) return fail('invalid_request', 'Invalid or missing response type')
  if (q.response_type !== 'code')
    return fail('unsupported_response_type', 'The response type is not supported')
  if (!q.state) return fail('invalid_request', 'The state parameter is required')
  const scopes = parseScopes(q.scope)
  if (!scopes) return fail('invalid_scope', 'An unsupported scope was requested')
  const pkce = pkceProblem(q, requirePkce)
  if (pkce) return fail('invalid_request', pkce)
  return { ok: true, value: { scopes, codeChallenge: q.code_challenge } }
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
    const checked = checkRequest(q, deps.options().requirePkce ?? false)
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
