import type { Router } from 'express'
import type { TenantStore } from '../tenants/tenant-store.js'
import { deleteOrganisationRoutes } from './delete-org-routes.js'
import { TenantDeletion, type TenantDeletionDeps } from './tenant-deletion.js'

export type DataLifecycleDeps = TenantDeletionDeps & { tenants: TenantStore }

/** The data lifecycle's routes (issue 27), for the composition root. */
export function dataLifecycleRoutes(deps: DataLifecycleDeps): Router {
  return deleteOrganisationRoutes({ tenants: deps.tenants, deletion: new TenantDeletion(deps) })
}
