import { Router } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { checkForm } from '../http/validate.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { RecordAdminAction } from './audit-trail.js'

const SettingsForm = z.object({
  lowBalanceThreshold: z.coerce.number({ message: 'Enter a number.' }).min(0).max(1_000_000),
})

export interface SettingsRoutesDeps {
  tenants: TenantStore
  record: RecordAdminAction
}

/** `/admin/settings`: tenant-wide settings, edited on the credentials page. */
export function settingsRoutes({ tenants, record }: SettingsRoutesDeps): Router {
  const r = Router()

  r.post('/admin/settings', async (req, res) => {
    const { tenantId } = requireUser(req)
    const form = checkForm(SettingsForm, req.body)
    if (!form.ok) {
      flash(req, 'error', `Not saved: ${Object.values(form.errors).join(' ')}`)
      return res.redirect(303, '/admin/credentials')
    }
    const { lowBalanceThreshold } = form.data
    await tenants.setLowBalanceThreshold(tenantId, lowBalanceThreshold)
    await record(req, 'admin.settings_changed', `low-balance threshold set to ${lowBalanceThreshold}`)
    flash(req, 'info', `Balances below ${lowBalanceThreshold} are now highlighted for support.`)
    res.redirect(303, '/admin/credentials')
  })
  return r
}
