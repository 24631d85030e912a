import { Router } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { localeOf } from '../i18n/localize.js'
import { checkForm } from '../http/validate.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { RecordAdminAction } from './audit-trail.js'

const SettingsForm = z.object({
  lowBalanceThreshold: z.coerce
    .number({ message: 'admin:settings.thresholdNumber' })
    .min(0, 'admin:settings.thresholdMin')
    .max(1_000_000, 'admin:settings.thresholdMax'),
  // An unticked box is not sent at all.
  requireTwoStep: z.literal('1').optional(),
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
    const { t, fmt } = localeOf(req)
    const form = checkForm(SettingsForm, req.body, t)
    if (!form.ok) {
      flash(req, 'error', t('admin:notSaved', { errors: Object.values(form.errors).join(' ') }))
      return res.redirect(303, '/admin/credentials')
    }
    const { lowBalanceThreshold } = form.data
    const requireTwoStep = form.data.requireTwoStep === '1'
    const before = await tenants.get(tenantId)
    await tenants.setLowBalanceThreshold(tenantId, lowBalanceThreshold)
    await tenants.setRequireTwoStep(tenantId, requireTwoStep)
    await record(req, 'admin.settings_changed', `low-balance threshold set to ${lowBalanceThreshold}`)
    if (before?.requireTwoStep !== requireTwoStep)
      await record(
        req,
        'admin.settings_changed',
        `two-step sign-in ${requireTwoStep ? 'required' : 'no longer required'} for admins and support`,
      )
    const threshold = fmt.lang === 'en' ? String(lowBalanceThreshold) : fmt.number(lowBalanceThreshold)
    flash(req, 'info', t('admin:settings.saved', { threshold }))
    res.redirect(303, '/admin/credentials')
  })
  return r
}
