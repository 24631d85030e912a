import { Router } from 'express'
import { z } from 'zod'
import { requireRole, requireUser } from '../auth/current-user.js'
import { flash, regenerate } from '../auth/session.js'
import { localeOf } from '../i18n/localize.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { TenantDeletion } from './tenant-deletion.js'

const DeleteForm = z.object({ organisationName: z.string().max(200).default('') })

/**
 * `POST /admin/settings/delete-organisation`: an admin deletes the organisation, confirming
 * with its name typed (the form is on /admin/settings, with CSRF and a confirmation).
 */
export function deleteOrganisationRoutes(deps: { tenants: TenantStore; deletion: TenantDeletion }): Router {
  const r = Router()
  r.post('/admin/settings/delete-organisation', requireRole('admin'), async (req, res) => {
    const user = requireUser(req)
    const { t } = localeOf(req)
    const tenant = await deps.tenants.get(user.tenantId)
    const typed = DeleteForm.safeParse(req.body).data?.organisationName.trim() ?? ''
    if (!tenant || typed !== tenant.name.trim()) {
      flash(req, 'error', t('data:deleteOrg.nameMismatch'))
      return res.redirect(303, '/admin/settings')
    }
    await deps.deletion.delete(user.tenantId, `admin ${user.email}`)
    // A fresh session without anyone in it (the old one went with the organisation).
    await regenerate(req)
    res.locals.user = undefined
    res.status(200).render('message', {
      title: t('data:deleteOrg.doneHeading'),
      heading: t('data:deleteOrg.doneHeading'),
      text: t('data:deleteOrg.doneText'),
    })
  })
  return r
}
