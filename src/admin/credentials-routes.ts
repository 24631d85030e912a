import { Router, type Request, type Response } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { tOf } from '../i18n/localize.js'
import { checkForm } from '../http/validate.js'
import type { WebhookDeliveries } from '../notifications/webhook-deliveries.js'
import type { WebhookStore } from '../notifications/webhook-store.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { RecordAdminAction } from './audit-trail.js'
import type { CredentialVersion, TenantCredentialStore } from './tenant-credentials.js'
import type { ConnectionStore } from '../connections/connection-store.js'
import type { ProviderId } from '../providers/types.js'

/** One OAuth client of a provider and how many of the tenant's connections it issued. */
export interface ClientUse {
  kind: 'default' | 'current' | 'retired'
  id?: string
  since?: number
  connections: number
}

const CredentialsForm = z.object({
  id: z.string().trim().min(1, 'admin:credentials.idMissing').max(256),
  secret: z.string().trim().min(1, 'admin:credentials.secretMissing').max(512),
})

export interface CredentialsRoutesDeps {
  credentials: TenantCredentialStore
  connections: ConnectionStore
  webhooks: WebhookStore
  webhookQueue: WebhookDeliveries
  tenants: TenantStore
  providers: ProviderRegistry
  baseUrl: string
  record: RecordAdminAction
}

export type CredentialsPage = (req: Request, res: Response, extra?: Record<string, unknown>) => Promise<void>

/**
 * The page itself, shared with the webhook's handlers: a generated signing secret is shown
 * once, on the page answering the form, and never kept in the session.
 */
export function credentialsPage(deps: Omit<CredentialsRoutesDeps, 'record'>): CredentialsPage {
  const { credentials, providers } = deps
  /**
   * Grants stay bound to the client that issued them, so a changed client is kept while
   * connections use it; the page says how many do, and forgets clients nobody uses.
   */
  const clientUses = async (tenantId: string, provider: ProviderId, current?: CredentialVersion) => {
    const usage = await deps.connections.clientUsage(tenantId, provider)
    await credentials.prune(tenantId, provider, usage)
    const retired = await credentials.retired(tenantId, provider)
    const uses: ClientUse[] = [
      { kind: 'default', connections: usage.default ?? 0 },
      ...(current
        ? [
            {
              kind: 'current' as const,
              id: current.id,
              since: current.updatedAt,
              connections: usage[`tenant:${current.version}`] ?? 0,
            },
          ]
        : []),
      ...retired.map((v) => ({
        kind: 'retired' as const,
        id: v.id,
        since: v.retiredAt,
        connections: usage[`tenant:${v.version}`] ?? 0,
      })),
    ]
    return uses
  }

  return async (req, res, extra = {}) => {
    const { tenantId } = requireUser(req)
    const status = await credentials.status(tenantId)
    const uses = Object.fromEntries(
      await Promise.all(
        providers.all().map(async (p) => [p.id, await clientUses(tenantId, p.id, status[p.id])]),
      ),
    )
    res.render('admin-credentials', {
      title: tOf(req)('admin:credentials.title'),
      status,
      uses,
      webhookUrl: await deps.webhooks.url(tenantId),
      previousSecretUntil: await deps.webhooks.previousUntil(tenantId),
      tenant: await deps.tenants.get(tenantId),
      deliveries: await deps.webhooks.recent(tenantId),
      deadLetters: await deps.webhookQueue.deadLetters(tenantId),
      providers: providers.all(),
      baseUrl: deps.baseUrl,
      errors: {},
      ...extra,
    })
  }
}

/**
 * `/admin/credentials`: the tenant's own OAuth clients. The page also hosts the webhook and
 * settings forms, whose handlers live beside their own resources and come back here.
 */
export function credentialsRoutes(deps: CredentialsRoutesDeps & { page: CredentialsPage }): Router {
  const { credentials, providers, record, page } = deps
  const r = Router()

  // The organisation's settings (the two-step requirement, the low-balance threshold) are on this page too.
  r.get(['/admin/credentials', '/admin/settings'], (req, res) => page(req, res))

  r.post('/admin/credentials/:provider', async (req, res) => {
    const { tenantId } = requireUser(req)
    const provider = providers.parse(String(req.params.provider))
    const t = tOf(req)
    const form = checkForm(CredentialsForm, req.body, t)
    if (!form.ok) {
      flash(
        req,
        'error',
        t('admin:credentials.formError', {
          provider: provider.label,
          errors: Object.values(form.errors).join(' '),
        }),
      )
      return res.redirect(303, '/admin/credentials')
    }
    await credentials.set(tenantId, provider.id, { id: form.data.id, secret: form.data.secret })
    await record(
      req,
      'admin.credentials_changed',
      `set own ${provider.label} credentials (id ${form.data.id})`,
    )
    flash(req, 'info', t('admin:credentials.saved', { provider: provider.label }))
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
    flash(req, 'info', tOf(req)('admin:credentials.cleared', { provider: provider.label }))
    res.redirect(303, '/admin/credentials')
  })
  return r
}
