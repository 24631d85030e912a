import { Router } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { checkForm } from '../http/validate.js'
import type { WebhookDeliveries } from '../notifications/webhook-deliveries.js'
import type { WebhookStore } from '../notifications/webhook-store.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { RecordAdminAction } from './audit-trail.js'
import type { TenantCredentialStore } from './tenant-credentials.js'

const CredentialsForm = z.object({
  id: z.string().trim().min(1, 'Enter the client id / consumer key.').max(256),
  secret: z.string().trim().min(1, 'Enter the secret.').max(512),
})

export interface CredentialsRoutesDeps {
  credentials: TenantCredentialStore
  webhooks: WebhookStore
  webhookQueue: WebhookDeliveries
  tenants: TenantStore
  providers: ProviderRegistry
  baseUrl: string
  record: RecordAdminAction
}

/**
 * `/admin/credentials`: the tenant's own OAuth clients. The page also hosts the webhook and
 * settings forms, whose handlers live beside their own resources and come back here.
 */
export function credentialsRoutes(deps: CredentialsRoutesDeps): Router {
  const { credentials, providers, record } = deps
  const r = Router()

  r.get('/admin/credentials', async (req, res) => {
    const { tenantId } = requireUser(req)
    res.render('admin-credentials', {
      title: 'Provider credentials',
      status: await credentials.status(tenantId),
      webhookUrl: await deps.webhooks.url(tenantId),
      tenant: await deps.tenants.get(tenantId),
      deliveries: await deps.webhooks.recent(tenantId),
      deadLetters: await deps.webhookQueue.deadLetters(tenantId),
      providers: providers.all(),
      baseUrl: deps.baseUrl,
      errors: {},
    })
  })

  r.post('/admin/credentials/:provider', async (req, res) => {
    const { tenantId } = requireUser(req)
    const provider = providers.parse(String(req.params.provider))
    const form = checkForm(CredentialsForm, req.body)
    if (!form.ok) {
      flash(req, 'error', `${provider.label}: ${Object.values(form.errors).join(' ')}`)
      return res.redirect(303, '/admin/credentials')
    }
    await credentials.set(tenantId, provider.id, { id: form.data.id, secret: form.data.secret })
    await record(
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
    const { tenantId } = requireUser(req)
    const provider = providers.parse(String(req.params.provider))
    await credentials.clear(tenantId, provider.id)
    await record(
      req,
      'admin.credentials_changed',
      `removed own ${provider.label} credentials; operator defaults apply`,
    )
    flash(req, 'info', `${provider.label} uses the operator’s default credentials again.`)
    res.redirect(303, '/admin/credentials')
  })
  return r
}
