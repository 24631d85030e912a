import { randomBytes } from 'node:crypto'
import express, { type Request, type Response, type Router } from 'express'
import { formatEur } from './accounts.js'
import { appendToCallback, isAcceptableCallback } from './callback-url.js'
import type { NexmoContext } from './context.js'
import { formEncode, type Pair } from './percent-encode.js'
import { messagePage, renderPage, SANDBOX_CSS } from './pages.js'
import { rawFormBody, sendOAuthProblem, verifySigned } from './signed-request.js'
import { sameSecret, type RequestToken } from './token-store.js'

/**
 * The emulated `https://dashboard.nexmo.com/oauth`: RFC 5849 §2 redirection-based
 * authorization with per-request `oauth_callback` (1.0a), a consent page and
 * single-use verifiers.
 */
export function oauthRouter(ctx: NexmoContext): Router {
  const r = express.Router()
  r.route('/request_token').get(rawFormBody, requestToken(ctx)).post(rawFormBody, requestToken(ctx))
  // Nexmo lists /authenticate next to /authorize; both show the same consent page here.
  r.get(['/authorize', '/authenticate'], consentPage(ctx))
  r.post('/authorize', express.urlencoded({ extended: false, limit: '8kb' }), decide(ctx))
  r.post('/access_token', rawFormBody, accessToken(ctx))
  r.get('/sandbox.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=3600').send(SANDBOX_CSS)
  })
  return r
}

function sendForm(res: Response, pairs: Pair[]): void {
  res.set('Cache-Control', 'no-store').type('application/x-www-form-urlencoded').send(formEncode(pairs))
}

/** §2.1 temporary credentials: signed by the consumer alone, `oauth_callback` required. */
function requestToken(ctx: NexmoContext) {
  return (req: Request, res: Response) => {
    const v = verifySigned(ctx, req)
    if (!v.ok) return sendOAuthProblem(res, v)
    const callback = v.protocol.get('oauth_callback')
    if (!callback) {
      return sendOAuthProblem(res, {
        status: 401,
        problem: 'parameter_absent',
        advice: 'oauth_callback is required (an absolute http(s) URL or "oob")',
        extra: { oauth_parameters_absent: 'oauth_callback' },
      })
    }
    if (!isAcceptableCallback(callback)) {
      const advice = 'oauth_callback must be an absolute http(s) URL or "oob"'
      return sendOAuthProblem(res, { status: 400, problem: 'parameter_rejected', advice, extra: {} })
    }
    const rt = ctx.tokens.issueRequestToken(v.consumerKey, callback, Date.now())
    ctx.stats.requestTokens++
    sendForm(res, [
      ['oauth_token', rt.token],
      ['oauth_token_secret', rt.secret],
      ['oauth_callback_confirmed', 'true'],
    ])
  }
}

function tokenParam(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function invalidTokenPage(res: Response): Promise<void> {
  return messagePage(res, 400, 'invalid')
}

/** §2.2 resource owner authorization: the consent page for a live request token. */
function consentPage(ctx: NexmoContext) {
  return async (req: Request, res: Response) => {
    const token = tokenParam(req.query.oauth_token)
    const rt = ctx.tokens.requestToken(token, Date.now())
    if (!rt || rt.verifier) return invalidTokenPage(res)
    const accounts = [...ctx.accounts.values()].map((a) => ({ ...a, balance: formatEur(a.balanceUnits) }))
    const returnTo = rt.callback === 'oob' ? 'oob' : new URL(rt.callback).origin
    await renderPage(res, 200, 'nexmo-authorize', {
      appName: rt.consumerKey,
      token: rt.token,
      accounts,
      returnTo,
    })
  }
}

/**
 * Allow → callback with `oauth_token` and `oauth_verifier` (§2.2). Deny → callback with
 * `denied=<oauth_token>`: RFC 5849 defines no denial response, so this follows Twitter's
 * widely copied convention; the request token dies with the denial.
 */
function decide(ctx: NexmoContext) {
  return async (req: Request, res: Response) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    const rt = ctx.tokens.requestToken(tokenParam(body.oauth_token), Date.now())
    if (!rt || rt.verifier) return invalidTokenPage(res)
    const decision = tokenParam(body.decision)
    if (decision === 'deny') {
      ctx.tokens.consumeRequestToken(rt.token)
      if (rt.callback === 'oob') return messagePage(res, 200, 'denied', { app: rt.consumerKey })
      return res.redirect(302, appendToCallback(rt.callback, [['denied', rt.token]]))
    }
    const account = ctx.accounts.get(tokenParam(body.account))
    if (decision !== 'allow' || !account) {
      return messagePage(res, 400, 'bad')
    }
    rt.verifier = randomBytes(16).toString('base64url')
    rt.accountId = account.id
    if (rt.callback === 'oob') {
      return messagePage(res, 200, 'authorized', { app: rt.consumerKey }, rt.verifier)
    }
    res.redirect(
      302,
      appendToCallback(rt.callback, [
        ['oauth_token', rt.token],
        ['oauth_verifier', rt.verifier],
      ]),
    )
  }
}

/**
 * §2.3 token credentials: signed with the authorized request token; the token and its
 * verifier are consumed by the first successful exchange, so a replay gets `token_rejected`.
 */
function accessToken(ctx: NexmoContext) {
  return (req: Request, res: Response) => {
    let rt: RequestToken | undefined
    const v = verifySigned(ctx, req, (token, consumerKey) => {
      rt = ctx.tokens.requestToken(token, Date.now())
      // Not yet authorized (no verifier) counts as rejected: there is nothing to exchange.
      return rt && rt.consumerKey === consumerKey && rt.verifier ? rt.secret : undefined
    })
    if (!v.ok) return sendOAuthProblem(res, v)
    if (!rt?.verifier || !rt.accountId) throw new Error('verifier accepted a token that was not authorized')
    const verifier = v.protocol.get('oauth_verifier')
    if (!verifier) {
      const extra = { oauth_parameters_absent: 'oauth_verifier' }
      return sendOAuthProblem(res, {
        status: 401,
        problem: 'parameter_absent',
        advice: 'oauth_verifier is required',
        extra,
      })
    }
    if (!sameSecret(verifier, rt.verifier)) {
      const advice = 'oauth_verifier does not match this request token'
      return sendOAuthProblem(res, { status: 401, problem: 'verifier_invalid', advice, extra: {} })
    }
    ctx.tokens.consumeRequestToken(rt.token)
    const at = ctx.tokens.issueAccessToken(v.consumerKey, rt.accountId)
    ctx.stats.accessTokens++
    const account = ctx.accounts.get(rt.accountId)
    // The account the person chose on the consent page, by what that page showed: its API key
    // and company. Nexmo's own answer here is undocumented [inferred]; the client reads both
    // only when present (providers/nexmo/account-label.ts).
    sendForm(res, [
      ['oauth_token', at.token],
      ['oauth_token_secret', at.secret],
      ...(account
        ? ([
            ['api_key', account.apiKey],
            ['company', account.name],
          ] as [string, string][])
        : []),
    ])
  }
}
