import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express'
import type { SandboxFaults, SandboxStats } from '../../types.js'
import type { AccountStore } from '../account-store.js'
import { checkBearer } from '../bearer.js'
import { injectApiFaults } from '../faults.js'
import type { OAuthStore } from '../oauth-store.js'
import { analyticsRoutes } from './analytics.js'
import { balanceRoutes } from './balance.js'
import { contactsRoutes } from './contacts.js'
import type { GatewayRoute } from './context.js'
import { hooksRoutes } from './hooks.js'
import { journalRoutes } from './journal.js'
import { lookupRoutes } from './lookup.js'
import { readParams, sendCode, wantsJson } from './negotiate.js'
import { pricingRoutes } from './pricing.js'
import { smsRoutes } from './sms.js'
import { statusRoutes } from './status.js'
import { subaccountsRoutes } from './subaccounts.js'
import { voiceRoutes } from './voice.js'

export interface GatewayDeps {
  store: OAuthStore
  accounts: AccountStore
  stats: SandboxStats['sms77']
  faults: SandboxFaults
}

const ROUTES: readonly GatewayRoute[] = [
  ...balanceRoutes,
  ...analyticsRoutes,
  ...pricingRoutes,
  ...journalRoutes,
  ...statusRoutes,
  ...contactsRoutes,
  ...hooksRoutes,
  ...subaccountsRoutes,
  ...lookupRoutes,
  ...smsRoutes,
  ...voiceRoutes,
]

// Every call that reaches an endpoint is counted, whatever its outcome: the tests use the
// counter to prove the app did (or did not) call the provider.
function countCall(stats: SandboxStats['sms77'], name: string): RequestHandler {
  return (_req, _res, next) => {
    stats.apiCalls[name] = (stats.apiCalls[name] ?? 0) + 1
    next()
  }
}

/**
 * Bearer first, then scope. A bad or expired token is HTTP 401 with body code 900, a token
 * without the endpoint's scope HTTP 403 with 902 (PROVIDERS.md §5.2): every SDK throws on
 * the body code, and the status lets an app decide to refresh.
 */
function authorise(deps: GatewayDeps, route: GatewayRoute): RequestHandler {
  return (req, res) => {
    const params = readParams(req)
    const json = wantsJson(req, params)
    const bearer = checkBearer(deps.store, req)
    if (!bearer.ok) {
      res.set('WWW-Authenticate', 'Bearer realm="Service", error="invalid_token"')
      return sendCode(res, 900, json, 401)
    }
    if (!bearer.grant.scopes.includes(route.scope)) {
      res.set(
        'WWW-Authenticate',
        `Bearer realm="Service", error="insufficient_scope", scope="${route.scope}"`,
      )
      return sendCode(res, 902, json, 403)
    }
    const account = deps.accounts.get(bearer.grant.userId)
    // Balances, messages, contacts and hooks a call changed outlive a restart (kept-state.ts).
    res.once('finish', () => deps.accounts.keep(account))
    route.handler({ req, res, params, json, account, accounts: deps.accounts })
  }
}

const notFound: RequestHandler = (_req, res) => {
  res.status(404).type('text/plain').send('Not Found')
}

// Body-parser failures stay inside the emulated host instead of reaching the app's handler.
const badBody: ErrorRequestHandler = (err: { status?: number; type?: string }, _req, res, next) => {
  if (typeof err.type !== 'string' || !err.type.startsWith('entity.')) return next(err)
  res
    .status(err.status ?? 400)
    .type('text/plain')
    .send('Bad Request')
}

/**
 * The emulated `https://gateway.sms77.io/api`. Parses its own bodies (JSON from
 * @seven.io/client, form-encoded from sms77-client) because the sandbox is mounted before
 * the app's body parsers.
 */
export function createGatewayRouter(deps: GatewayDeps): Router {
  const router = express.Router()
  router.use(express.json({ limit: '64kb' }), express.urlencoded({ extended: false, limit: '64kb' }))
  for (const route of ROUTES) {
    const chain = [countCall(deps.stats, route.scope), injectApiFaults(deps.faults), authorise(deps, route)]
    for (const method of route.methods) router[method](route.path, ...chain)
  }
  router.use(notFound)
  router.use(badBody)
  return router
}
