import { randomBytes, timingSafeEqual } from 'node:crypto'
import { Router, type Request, type RequestHandler, type Response } from 'express'
import { z } from 'zod'
import type { AccountService } from '../auth/account-service.js'
import { requireRole, requireUser } from '../auth/current-user.js'
import { signIn, type SignInDeps } from '../auth/routes.js'
import { flash, saveSession } from '../auth/session.js'
import { normaliseEmail, type User, type UserStore } from '../auth/user-store.js'
import { AppError } from '../errors.js'
import { checkForm } from '../http/validate.js'
import { tOf } from '../i18n/localize.js'
import type { Audit } from './audit.js'
import type { PersonSessions } from './sessions.js'
import { isAllowedIssuer, SsoFlowError, type SsoChecks, type SsoClient } from './sso-client.js'
import { DomainTakenError, domainOf, SSO_ROLES, type SsoStore } from './sso-store.js'

declare module 'express-session' {
  interface SessionData {
    /** One single sign-on under way: its organisation and the checks its callback must meet. */
    ssoFlow?: SsoChecks & { tenantId: string; at: number }
  }
}

const FLOW_TTL_MS = 10 * 60_000
export const SSO_CALLBACK_PATH = '/sso/callback'
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/

const SsoForm = z.object({
  issuer: z
    .string()
    .trim()
    .max(500)
    .refine(isAllowedIssuer, 'signin:admin.errors.issuer')
    .transform((v) => v.replace(/\/+$/, '')),
  clientId: z.string().trim().min(1, 'signin:admin.errors.clientId').max(300),
  clientSecret: z.string().trim().max(500).optional().default(''),
  domains: z
    .string()
    .max(2000)
    .transform((v) => [
      ...new Set(
        v
          .split(/[\s,]+/)
          .map((d) => d.trim().toLowerCase())
          .filter(Boolean),
      ),
    ])
    .refine(
      (list) => list.length > 0 && list.length <= 50 && list.every((d) => DOMAIN.test(d)),
      'signin:admin.errors.domains',
    ),
  defaultRole: z.enum(SSO_ROLES, { message: 'common:validation.choose' }),
  required: z.literal('1').optional(),
})
const StartForm = z.object({ email: z.string().trim().max(254) })

export interface SsoRoutesDeps extends SignInDeps {
  accounts: AccountService
  store: SsoStore
  client: SsoClient
  users: UserStore
  people: PersonSessions
  audit: Audit
  baseUrl: string
  /** In the sandbox: what /admin/sso is filled in with before anything is saved. */
  sandboxDefaults?: { issuer: string; clientId: string; clientSecret: string; domains: string }
}

/** `/admin/sso`, `POST /login/sso` (Continue with single sign-on) and `GET /sso/callback`. */
export function ssoRoutes(deps: SsoRoutesDeps): Router {
  const r = Router()
  const redirectUri = new URL(SSO_CALLBACK_PATH, deps.baseUrl).toString()

  const adminPage = async (req: Request, res: Response, status: number, extra: object = {}) => {
    const user = requireUser(req)
    const settings = await deps.store.get(user.tenantId)
    const sandbox = !settings && deps.sandboxDefaults
    const values = settings
      ? { ...settings, domains: settings.domains.join(', ') }
      : sandbox
        ? { ...deps.sandboxDefaults, defaultRole: 'member', required: false }
        : { issuer: '', clientId: '', domains: '', defaultRole: 'member', required: false }
    res.status(status).render('admin-sso', {
      title: tOf(req)('signin:admin.title'),
      redirectUri,
      hasSecret: settings?.hasSecret ?? false,
      sandbox: Boolean(sandbox),
      values,
      errors: {},
      ...extra,
    })
  }
  r.get('/admin/sso', requireRole('admin'), (req, res) => adminPage(req, res, 200))
  r.post('/admin/sso', requireRole('admin'), async (req, res) => {
    const user = requireUser(req)
    const t = tOf(req)
    const form = checkForm(SsoForm, req.body, t)
    const typed = { ...req.body, required: req.body?.required === '1' }
    if (!form.ok) return adminPage(req, res, 400, { errors: form.errors, values: typed })
    const settings = await deps.store.get(user.tenantId)
    const clientSecret = form.data.clientSecret
    if (!clientSecret && !settings?.hasSecret)
      return adminPage(req, res, 400, {
        errors: { clientSecret: t('signin:admin.errors.secret') },
        values: typed,
      })
    const secret = clientSecret || (await deps.store.clientSecret(user.tenantId))!
    try {
      // A typo in the issuer shows here, not at the first person's sign-in.
      await deps.client.discover({
        issuer: form.data.issuer,
        clientId: form.data.clientId,
        clientSecret: secret,
      })
    } catch (err) {
      if (!(err instanceof SsoFlowError)) throw err
      return adminPage(req, res, 400, {
        errors: { issuer: t('signin:admin.errors.discovery') },
        values: typed,
      })
    }
    const input = { ...form.data, clientSecret, required: form.data.required === '1' }
    try {
      await deps.store.save(user.tenantId, input)
    } catch (err) {
      if (!(err instanceof DomainTakenError)) throw err
      const errors = { domains: t('signin:admin.errors.domainTaken', { domain: err.domain }) }
      return adminPage(req, res, 409, { errors, values: typed })
    }
    // Whoever changes how the organisation signs in keeps only this session.
    const ended = await deps.people.endOthers(user.tenantId, user.id, req.sessionID)
    const detail = `issuer ${input.issuer}, client ${input.clientId}${clientSecret ? ', new secret' : ''}, domains ${input.domains.join(' ')}, default role ${input.defaultRole}, ${input.required ? 'required' : 'optional'}; ${ended} other sessions ended`
    await deps.audit(req, user, 'signin.sso_settings_changed', detail)
    flash(req, 'info', t('signin:admin.saved'))
    res.redirect(303, '/admin/sso')
  })

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

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The /login form's redirect to an issuer is checked against that page's form-action. */
export function allowIssuersInFormAction(store: SsoStore): RequestHandler {
  return async (req, res, next) => {
    if (!req.path.startsWith('/login')) return next()
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
