import type { ConnectionStore } from '../connections/connection-store.js'
import { Router } from 'express'
import { requireRole } from '../auth/current-user.js'
import type { WebhookDeliveries } from '../notifications/webhook-deliveries.js'
import type { WebhookStore } from '../notifications/webhook-store.js'
import type { EventPublisher } from '../notifications/event-publisher.js'
import type { EventLog } from '../events/event-log.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { ApiKeyStore } from '../api-keys/key-store.js'
import { adminAuditTrail } from './audit-trail.js'
import { apiKeysRoutes } from './api-keys-routes.js'
import { auditRoutes } from './audit-routes.js'
import { credentialsPage, credentialsRoutes } from './credentials-routes.js'
import { settingsRoutes } from './settings-routes.js'
import type { TenantCredentialStore } from './tenant-credentials.js'
import type { UserAdmin } from './user-admin.js'
import { usersRoutes } from './users-routes.js'
import type { InvitationAdmin } from './invitation-admin.js'
import type { SsoRule } from '../auth/sso-rule.js'
import { invitationsRoutes } from './invitations-routes.js'
import { webhooksRoutes } from './webhooks-routes.js'
import { sharedConnectionsRoutes, type SharedConnectionsDeps } from './shared-connections-routes.js'

export interface AdminDeps {
  shared: Omit<SharedConnectionsDeps, 'record' | 'providers'>
  userAdmin: UserAdmin
  invitations: InvitationAdmin
  credentials: TenantCredentialStore
  connections: ConnectionStore
  webhooks: WebhookStore
  webhookQueue: WebhookDeliveries
  events: EventPublisher
  eventLog: EventLog
  tenants: TenantStore
  audit: AuditLog
  providers: ProviderRegistry
  baseUrl: string
  apiKeys: ApiKeyStore
  webhookAllowPrivate?: boolean
  /** Required single sign-on: no password is set for those people (admins excepted). */
  ssoRule?: SsoRule
}

/** Everything under `/admin`, for the tenant's admins only; one router per resource. */
export function adminRoutes(deps: AdminDeps): Router {
  const r = Router()
  r.use('/admin', requireRole('admin'))
  const record = adminAuditTrail(deps.audit)
  r.use(usersRoutes({ ...deps, record }))
  r.use(invitationsRoutes({ invitations: deps.invitations, record }))
  const page = credentialsPage(deps)
  r.use(credentialsRoutes({ ...deps, record, page }))
  r.use(webhooksRoutes({ ...deps, record, page }))
  r.use(settingsRoutes({ tenants: deps.tenants, record }))
  r.use(apiKeysRoutes({ apiKeys: deps.apiKeys, record }))
  r.use(sharedConnectionsRoutes({ ...deps.shared, providers: deps.providers, record }))
  r.use(auditRoutes(deps.audit))
  return r
}
