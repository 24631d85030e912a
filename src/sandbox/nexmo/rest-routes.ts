import express, { type Request, type RequestHandler, type Response, type Router } from 'express'
import { formatEur, type DemoAccount } from './accounts.js'
import type { NexmoContext } from './context.js'
import { faultGate } from './faults.js'
import type { Pair } from './percent-encode.js'
import { rawFormBody, setChallenge, verifySigned } from './signed-request.js'
import { sendSms, type SmsParams } from './sms.js'

/** Nexmo's documented 401 body for `get-balance`; used for every authentication failure. */
const AUTH_FAILED = { 'error-code': '401', 'error-code-label': 'authentication failed' }

interface Authorized {
  account: DemoAccount
  params: Pair[]
}

/**
 * The emulated `https://rest.nexmo.com`: every call is counted, then faults apply,
 * then the OAuth signature is checked with the access token's secret.
 */
export function restRouter(ctx: NexmoContext): Router {
  const r = express.Router()
  const gate = faultGate(ctx.faults)
  r.get('/account/get-balance', count(ctx, 'get-balance'), gate, authenticate(ctx), balance)
  const sms = [
    count(ctx, 'sms'),
    gate,
    rawFormBody,
    express.json({ limit: '64kb' }),
    authenticate(ctx),
    sendSmsHandler(ctx),
  ]
  r.route('/sms/json').get(sms).post(sms)
  r.use((_req, res) => {
    res.status(404).json({ 'error-code': '404', 'error-code-label': 'not found' })
  })
  return r
}

function count(ctx: NexmoContext, name: string): RequestHandler {
  return (_req, _res, next) => {
    ctx.stats.apiCalls[name] = (ctx.stats.apiCalls[name] ?? 0) + 1
    next()
  }
}

/**
 * Signed with consumer + access token (RFC 5849 §3). The token must belong to the
 * signing consumer; revoked tokens are simply gone from the store.
 */
function authenticate(ctx: NexmoContext): RequestHandler {
  return (req, res, next) => {
    const v = verifySigned(ctx, req, (token, consumerKey) => {
      const at = ctx.tokens.accessToken(token)
      return at && at.consumerKey === consumerKey && ctx.accounts.has(at.accountId) ? at.secret : undefined
    })
    if (!v.ok) {
      setChallenge(res, 'rest.nexmo.com', v)
      res.status(401).json(AUTH_FAILED)
      return
    }
    const at = ctx.tokens.accessToken(v.token ?? '')
    const account = at && ctx.accounts.get(at.accountId)
    if (!account) throw new Error('verifier accepted an unknown access token')
    const authorized: Authorized = { account, params: v.params }
    res.locals.nexmo = authorized
    next()
  }
}

function authorizedOf(res: Response): Authorized {
  return res.locals.nexmo as Authorized
}

/** `{"value":10.17127500,"autoReload":false}`: written by hand to keep Nexmo's 8 decimals. */
function balance(_req: Request, res: Response): void {
  const { account } = authorizedOf(res)
  res.type('application/json').send(`{"value":${formatEur(account.balanceUnits)},"autoReload":false}`)
}

const SMS_FIELDS = ['from', 'to', 'text', 'type', 'client-ref'] as const

/**
 * Parameters come from the signed query/form pairs (first occurrence wins) or, as the
 * Ruby SDK sent them, from a JSON body, which OAuth 1.0a leaves unsigned.
 */
function smsParams(req: Request, params: Pair[]): SmsParams {
  const out: SmsParams = {}
  const json: unknown = req.is('application/json') ? req.body : undefined
  for (const field of SMS_FIELDS) {
    const pair = params.find(([name]) => name === field)
    const fromJson = json && typeof json === 'object' ? (json as Record<string, unknown>)[field] : undefined
    const value = pair?.[1] ?? (fromJson === undefined || fromJson === null ? undefined : String(fromJson))
    if (value !== undefined) out[field] = value
  }
  return out
}

function sendSmsHandler(ctx: NexmoContext): (req: Request, res: Response) => void {
  return (req, res) => {
    const { account, params } = authorizedOf(res)
    const answer = sendSms(account, smsParams(req, params))
    ctx.accounts.keep(account.id) // the charged balance outlives a restart
    res.json(answer)
  }
}
