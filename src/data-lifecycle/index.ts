import { Router } from 'express'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { Mailer } from '../mail/mailer.js'
import type { LoginLimiter } from '../auth/login-limiter.js'
import { accountDataRoutes, type AccountDataDeps } from './account-routes.js'
import { EmailChange, type EmailShownBy } from './email-change.js'
import { auditExportRoutes } from './audit-export-routes.js'
import { deleteOrganisationRoutes } from './delete-org-routes.js'
import { TenantDeletion, type TenantDeletionDeps } from './tenant-deletion.js'

export type DataLifecycleDeps = TenantDeletionDeps &
  EmailShownBy &
  Omit<AccountDataDeps, 'emailChange'> & {
    tenants: TenantStore
    people: { mailer: Mailer; limiter: LoginLimiter }
    baseUrl: string
  }

/** The data lifecycle's routes (issue 27), for the composition root. */
export function dataLifecycleRoutes(deps: DataLifecycleDeps): Router {
  const r = Router()
  r.use(deleteOrganisationRoutes({ tenants: deps.tenants, deletion: new TenantDeletion(deps) }))
  const emailChange = new EmailChange({ ...deps, mailer: deps.people.mailer })
  r.use(accountDataRoutes({ ...deps, emailChange }))
  r.use(auditExportRoutes(deps.audit))
  return r
}
