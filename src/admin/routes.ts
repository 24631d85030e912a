import { Router, type Request } from 'express'
import { z } from 'zod'
import { requireRole, requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { ROLES } from '../auth/user-store.js'
import { AppError } from '../errors.js'
import { checkForm, parseInput } from '../http/validate.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { AuditAction, AuditLog } from '../support/audit-log.js'
import type { TenantCredentialStore } from './tenant-credentials.js'
import type { UserAdmin } from './user-admin.js'
import type { WebhookStore } from '../notifications/webhook-store.js'
import type { WebhookQueue } from '../notifications/webhook-queue.js'
import { checkWebhookUrl } from '../notifications/ssrf-guard.js'
import type { TenantStore } from '../tenants/tenant-store.js'

const AddUserForm = z.object({
  email: z.email({ message: 'Enter a valid email address.' }).max(254),
  password: z.string().min(10, 'Use at least 10 characters.').max(200),
  role: z.enum(ROLES, { message: 'Pick a role.' }),
})
const RoleForm = z.object({ role: z.enum(ROLES) })
const UserParam = z.object({ id: z.string().regex(/^[a-f0-9]{24}$/, 'unknown user') })
const CredentialsForm = z.object({
  id: z.string().trim().min(1, 'Enter the client id / consumer key.').max(256),
  secret: z.string().trim().min(1, 'Enter the secret.').max(512),
})
const WebhookForm = z.object({
  url: z.string().trim().min(1, 'Enter the URL.').max(2048, 'Keep the URL under 2048 characters.'),
  secret: z.string().min(16, 'Use a signing secret of at least 16 characters.').max(256),
})
const SettingsForm = z.object({
  lowBalanceThreshold: z.coerce.number({ message: 'Enter a number.' }).min(0).max(1_000_000),
})
const AuditQuery = z.object({
  before: z
    .string()
    .regex(/^\d+-\d+$/)
    .optional(),
})

export interface AdminDeps {
  userAdmin: UserAdmin
  credentials: TenantCredentialStore
  webhooks: WebhookStore
  webhookQueue: WebhookQueue
  tenants: TenantStore
  audit: AuditLog
  providers: ProviderRegistry
  baseUrl: string
}

export function adminRoutes(deps: AdminDeps): Router {
  const r = Router()
  r.use('/admin', requireRole('admin'))
  const audit = (req: Request, action: AuditAction, detail: string, accounts: string[] = []) => {
    const u = requireUser(req)
    return deps.audit.record(u.tenantId, { actorId: u.id, actorEmail: u.email, action, detail, accounts })
  }
  const renderUsers = async (
    req: Request,
    res: import('express').Response,
    status = 200,
    extra: object = {},
  ) => {
    const admin = requireUser(req)
    res.status(status).render('admin-users', {
      title: 'Users',
      users: await deps.userAdmin.list(admin.tenantId),
      roles: ROLES,
      errors: {},
      values: {},
      ...extra,
    })
  }

  r.get('/admin/users', (req, res) => renderUsers(req, res))

  r.post('/admin/users', async (req, res) => {
    const form = checkForm(AddUserForm, req.body)
    const values = { email: req.body?.email, role: req.body?.role }
    if (!form.ok) return renderUsers(req, res, 400, { errors: form.errors, values })
    try {
      const user = await deps.userAdmin.add(requireUser(req), form.data)
      await audit(req, 'admin.user_added', `added ${user.email} as ${user.role}`)
      flash(req, 'info', `${user.email} was added as ${user.role}.`)
      res.redirect(303, '/admin/users')
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict')
        return renderUsers(req, res, 409, { errors: { email: err.message }, values })
      throw err
    }
  })

  r.post('/admin/users/:id/role', async (req, res) => {
    const { id } = parseInput(UserParam, req.params)
    const { role } = parseInput(RoleForm, req.body)
    const user = await deps.userAdmin.setRole(requireUser(req), id, role)
    await audit(req, 'admin.role_changed', `${user.email} is now ${role}`)
    flash(req, 'info', `${user.email} is now ${role}.`)
    res.redirect(303, '/admin/users')
  })

  r.post('/admin/users/:id/remove', async (req, res) => {
    const { id } = parseInput(UserParam, req.params)
    const user = await deps.userAdmin.remove(requireUser(req), id)
    await audit(req, 'admin.user_removed', `removed ${user.email} with their connections and sessions`)
    flash(req, 'info', `${user.email} was removed, with their connections and sessions.`)
    res.redirect(303, '/admin/users')
  })

  r.get('/admin/credentials', async (req, res) => {
    const admin = requireUser(req)
    res.render('admin-credentials', {
      title: 'Provider credentials',
      status: await deps.credentials.status(admin.tenantId),
      webhookUrl: await deps.webhooks.url(admin.tenantId),
      tenant: await deps.tenants.get(admin.tenantId),
      deliveries: await deps.webhooks.recent(admin.tenantId),
      providers: deps.providers.all(),
      baseUrl: deps.baseUrl,
      errors: {},
    })
  })

  r.post('/admin/credentials/:provider', async (req, res) => {
    const admin = requireUser(req)
    const provider = deps.providers.parse(String(req.params.provider))
    const form = checkForm(CredentialsForm, req.body)
    if (!form.ok) {
      flash(req, 'error', `${provider.label}: ${Object.values(form.errors).join(' ')}`)
      return res.redirect(303, '/admin/credentials')
    }
    await deps.credentials.set(admin.tenantId, provider.id, { id: form.data.id, secret: form.data.secret })
    await audit(
      req,
      'admin.credentials_changed',
      `set own ${provider.label} credentials (id ${form.data.id})`,
    )
    flash(
      req,
      'info',
      `${provider.label} now uses your organisation’s own credentials. The secret is stored encrypted and will not be shown again.`,
    )
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/credentials/:provider/clear', async (req, res) => {
    const admin = requireUser(req)
    const provider = deps.providers.parse(String(req.params.provider))
    await deps.credentials.clear(admin.tenantId, provider.id)
    await audit(
      req,
      'admin.credentials_changed',
      `removed own ${provider.label} credentials; operator defaults apply`,
    )
    flash(req, 'info', `${provider.label} uses the operator’s default credentials again.`)
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/webhook', async (req, res) => {
    const admin = requireUser(req)
    const form = checkForm(WebhookForm, req.body)
    if (!form.ok) {
      flash(req, 'error', `Webhook not saved: ${Object.values(form.errors).join(' ')}`)
      return res.redirect(303, '/admin/credentials')
    }
    try {
      checkWebhookUrl(form.data.url)
    } catch (err) {
      flash(req, 'error', (err as Error).message)
      return res.redirect(303, '/admin/credentials')
    }
    await deps.webhooks.set(admin.tenantId, form.data.url, form.data.secret)
    await audit(req, 'admin.credentials_changed', `set webhook URL ${form.data.url}`)
    flash(req, 'info', 'Webhook saved. Its signing secret is stored encrypted and will not be shown again.')
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/settings', async (req, res) => {
    const admin = requireUser(req)
    const form = checkForm(SettingsForm, req.body)
    if (!form.ok) {
      flash(req, 'error', `Not saved: ${Object.values(form.errors).join(' ')}`)
      return res.redirect(303, '/admin/credentials')
    }
    await deps.tenants.setLowBalanceThreshold(admin.tenantId, form.data.lowBalanceThreshold)
    await audit(
      req,
      'admin.credentials_changed',
      `low-balance threshold set to ${form.data.lowBalanceThreshold}`,
    )
    flash(req, 'info', `Balances below ${form.data.lowBalanceThreshold} are now highlighted for support.`)
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/webhook/test', async (req, res) => {
    const admin = requireUser(req)
    if (!(await deps.webhooks.url(admin.tenantId)))
      throw new AppError('validation_failed', 'Set a webhook URL first.', { status: 400 })
    await deps.webhookQueue.enqueue(admin.tenantId, 'webhook.test', {
      event: 'webhook.test',
      tenant: admin.tenantId,
      at: new Date().toISOString(),
    })
    flash(req, 'info', 'A test event is on its way; its outcome appears under Recent deliveries.')
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/webhook/clear', async (req, res) => {
    const admin = requireUser(req)
    await deps.webhooks.clear(admin.tenantId)
    await audit(req, 'admin.credentials_changed', 'removed the webhook')
    flash(req, 'info', 'Webhook removed.')
    res.redirect(303, '/admin/credentials')
  })

  r.get('/admin/audit', async (req, res) => {
    const admin = requireUser(req)
    const { before } = parseInput(AuditQuery, req.query)
    const page = await deps.audit.page(admin.tenantId, 50, before)
    res.render('admin-audit', { title: 'Audit log', entries: page.entries, next: page.next })
  })
  return r
}
