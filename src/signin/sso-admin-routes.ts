import { Router, type Request, type Response } from 'express'
import { z } from 'zod'
import { requireRole, requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { checkForm } from '../http/validate.js'
import { tOf } from '../i18n/localize.js'
import { isAllowedIssuer, SsoFlowError } from './sso-client.js'
import type { Audit } from './audit.js'
import type { PersonSessions } from './sessions.js'
import type { UserStore } from '../auth/user-store.js'
import type { SsoClient } from './sso-client.js'
import { DomainTakenError, domainOf, SSO_ROLES, type SsoStore } from './sso-store.js'

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
/** `GET/POST /admin/sso`: the organisation's identity provider, for its admins. */
export interface SsoAdminDeps {
  store: SsoStore
  client: SsoClient
  people: PersonSessions
  users: UserStore
  audit: Audit
  /** In the sandbox: what /admin/sso is filled in with before anything is saved. */
  sandboxDefaults?: { issuer: string; clientId: string; clientSecret: string; domains: string }
}

export function ssoAdminRoutes(deps: SsoAdminDeps, redirectUri: string): Router {
  const r = Router()
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
    await deps.people.endOthers(req, user.tenantId, user.id)
    // Newly required: password sessions of the people it binds end too (they come back through it).
    const bound = input.required
      ? input.domains.filter((d) => !(settings?.required && settings.domains.includes(d)))
      : []
    const signedOut = bound.length ? await signOutBound(deps, user.tenantId, bound) : 0
    const detail = `issuer ${input.issuer}, client ${input.clientId}${clientSecret ? ', new secret' : ''}, domains ${input.domains.join(' ')}, default role ${input.defaultRole}, ${input.required ? 'required' : 'optional'}; other sessions ended${bound.length ? `; ${signedOut} people of ${bound.join(' ')} signed out` : ''}`
    await deps.audit(req, user, 'signin.sso_settings_changed', detail)
    flash(req, 'info', t('signin:admin.saved'))
    res.redirect(303, '/admin/sso')
  })

  return r
}

/** Signs out the organisation's people (admins excepted) whose email is in `domains`. */
async function signOutBound(deps: SsoAdminDeps, tenantId: string, domains: string[]): Promise<number> {
  let count = 0
  for (let offset = 0; ; offset += PAGE) {
    const users = await deps.users.list(tenantId, offset, PAGE)
    for (const u of users)
      if (u.role !== 'admin' && domains.includes(domainOf(u.email) ?? '')) {
        await deps.people.endAll(tenantId, u.id)
        count++
      }
    if (users.length < PAGE) return count
  }
}
const PAGE = 200
