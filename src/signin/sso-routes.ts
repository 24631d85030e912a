import { randomBytes, timingSafeEqual } from 'node:crypto'
import { Router, type Request, type RequestHandler, type Response } from 'express'
import { z } from 'zod'
import type { AccountService } from '../auth/account-service.js'
import { signIn, type SignInDeps } from '../auth/routes.js'
import { saveSession } from '../auth/session.js'
import { normaliseEmail, type User, type UserStore } from '../auth/user-store.js'
import { AppError } from '../errors/app-error.js'
import { tOf } from '../i18n/localize.js'
import type { Audit } from './audit.js'
import type { PersonSessions } from './sessions.js'
import { SsoFlowError, type SsoChecks, type SsoClient } from './sso-client.js'
import { ssoAdminRoutes, type SsoAdminDeps } from './sso-admin-routes.js'
import { domainOf, type SsoStore } from './sso-store.js'

declare module 'express-session' {
  interface SessionData {
    /** One single sign-on under way: its organisation and the checks its callback must meet. */
    ssoFlow?: SsoChecks & { tenantId: string; at: number }
  }
}

const FLOW_TTL_MS = 10 * 60_000
export const SSO_CALLBACK_PATH = '/sso/callback'
const StartForm = z.object({ email: z.string().trim().max(254) })

export interface SsoRoutesDeps extends SignInDeps {
  accounts: AccountService
  store: SsoStore
  client: SsoClient
  users: UserStore
  people: PersonSessions
  audit: Audit
  baseUrl: string
  sandboxDefaults?: SsoAdminDeps['sandboxDefaults']
  /** For operators: why a callback failed (the library's words, which carry no secret). */
  onFailure?: (reason: string, cause: unknown) => void
}

/** `/admin/sso`, `POST /login/sso` (Continue with single sign-on) and `GET /sso/callback`. */
export function ssoRoutes(deps: SsoRoutesDeps): Router {
  const r = Router()
  const redirectUri = new URL(SSO_CALLBACK_PATH, deps.baseUrl).toString()

  r.use(ssoAdminRoutes(deps, redirectUri))

  r.post('/login/sso', async (req, res) => {
    const t = tOf(req)
    const email = StartForm.safeParse(req.body).data?.email ?? ''
    const loginPage = (status: number, message: string) =>
      res
        .status(status)
        .render('login', { title: t('auth:login.title'), errors: { form: message }, values: { email } })
    if (!email.includes('@')) return loginPage(400, t('signin:sso.emailMissing'))
    const tenantId = await deps.store.tenantForEmail(email)
    const settings = tenantId && (await deps.store.get(tenantId))
    const secret = tenantId && (await deps.store.clientSecret(tenantId))
    if (!tenantId || !settings || !secret) return loginPage(400, t('signin:sso.noDomain'))
    try {
      const { url, checks } = await deps.client.start(
        { issuer: settings.issuer, clientId: settings.clientId, clientSecret: secret },
        { redirectUri, loginHint: email },
      )
      req.session.ssoFlow = { ...checks, tenantId, at: Date.now() }
      await saveSession(req)
      res.redirect(303, url.toString())
    } catch (err) {
      if (!(err instanceof SsoFlowError)) throw err
      loginPage(502, t('signin:sso.reasons.unavailable'))
    }
  })

  r.get(SSO_CALLBACK_PATH, async (req, res) => {
    const flow = req.session.ssoFlow
    // Used once, whatever happens next.
    delete req.session.ssoFlow
    const state = typeof req.query.state === 'string' ? req.query.state : ''
    if (!flow || Date.now() - flow.at > FLOW_TTL_MS || !sameText(state, flow.state))
      return failed(req, res, 400, 'state')
    const settings = await deps.store.get(flow.tenantId)
    const secret = await deps.store.clientSecret(flow.tenantId)
    if (!settings || !secret) return failed(req, res, 400, 'state')
    const refuse = async (status: number, reason: string, email = '') => {
      await deps.audit(
        req,
        { id: '', email: email || '(unknown)', tenantId: flow.tenantId },
        'signin.sso_refused',
        reason,
      )
      return failed(req, res, status, reason)
    }
    let identity
    try {
      const callbackUrl = new URL(req.originalUrl, deps.baseUrl)
      identity = await deps.client.finish(
        { issuer: settings.issuer, clientId: settings.clientId, clientSecret: secret },
        callbackUrl,
        flow,
      )
    } catch (err) {
      if (!(err instanceof SsoFlowError)) throw err
      deps.onFailure?.(err.reason, err.cause)
      return refuse(400, err.reason)
    }
    const email = identity.email ? normaliseEmail(identity.email) : ''
    if (!email) return refuse(400, 'token')
    if (!identity.emailVerified) return refuse(403, 'unverified', email)
    const domain = domainOf(email)
    if (
      !domain ||
      !settings.domains.includes(domain) ||
      (await deps.store.tenantForEmail(email)) !== flow.tenantId
    )
      return refuse(403, 'domain', email)
    const found = await deps.users.findForLogin(email)
    if (found && found.user.tenantId !== flow.tenantId) return refuse(403, 'taken', email)
    const user = found?.user ?? (await createPerson(deps, flow.tenantId, email, settings.defaultRole))
    if (!user) return refuse(403, 'taken', email)
    if (!found) await deps.audit(req, user, 'signin.sso_person_created', `role ${user.role}`)
    await deps.audit(req, user, 'signin.sso_signed_in', `issuer ${settings.issuer}`)
    // The identity provider did the checking: no password and no app code is asked.
    await signIn(req, res, user, deps, 'sso')
  })
  return r
}

/** A person made on first sign-in: the default role (never admin), a password nobody knows. */
async function createPerson(
  deps: SsoRoutesDeps,
  tenantId: string,
  email: string,
  role: string,
): Promise<User | null> {
  const safeRole = role === 'support' ? 'support' : 'member'
  try {
    return await deps.accounts.addUser({
      tenantId,
      email,
      password: randomBytes(32).toString('base64url'),
      role: safeRole,
    })
  } catch (err) {
    // Taken in the meantime (by another organisation's person, or a concurrent first sign-in).
    if (err instanceof AppError && err.code === 'conflict') {
      const again = await deps.users.findForLogin(email)
      return again?.user.tenantId === tenantId ? again.user : null
    }
    throw err
  }
}

function failed(req: Request, res: Response, status: number, reason: string): void {
  const t = tOf(req)
  res.status(status).render('sso-failed', {
    title: t('signin:sso.failedTitle'),
    text: t(`signin:sso.reasons.${reason}`),
  })
}

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The /login and /account forms' redirect to an issuer is checked against that page's form-action. */
export function allowIssuersInFormAction(store: SsoStore): RequestHandler {
  return async (req, res, next) => {
    if (!req.path.startsWith('/login') && req.path !== '/account') return next()
    const origins = await store.issuerOrigins()
    const csp = res.getHeader('Content-Security-Policy')
    if (origins.length && typeof csp === 'string')
      res.setHeader(
        'Content-Security-Policy',
        csp.replace(/form-action ([^;]*)/, (_m, list: string) => `form-action ${list} ${origins.join(' ')}`),
      )
    next()
  }
}
