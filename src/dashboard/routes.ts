import { Router } from 'express'
import { z } from 'zod'
import { requireSignedIn, requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { isAppError } from '../errors.js'
import type { ProviderRegistry } from '../providers/registry.js'
import { checkForm } from '../http/validate.js'
import { formatMoney, formatValue } from '../views/format.js'
import type { DashboardService } from './dashboard-service.js'
import type { PanelCache } from './panel-cache.js'
import { chartGeometry } from './chart.js'

const SmsForm = z.object({
  to: z
    .string()
    .trim()
    .regex(/^\+?[0-9]{7,15}$/, 'Enter the recipient as an international number, 7 to 15 digits.'),
  text: z.string().trim().min(1, 'Enter a message.').max(1520, 'Keep the message under 1520 characters.'),
  from: z
    .string()
    .trim()
    .max(16)
    .regex(
      /^([A-Za-z0-9 ]{1,11}|\+?[0-9]{1,16})?$/,
      'The sender is up to 11 letters and digits, or up to 16 digits.',
    )
    .optional(),
})

export function dashboardRoutes(deps: {
  dashboard: DashboardService
  connections: ConnectionLifecycle
  providers: ProviderRegistry
  cache: PanelCache
}): Router {
  const r = Router()
  r.use(['/dashboard', '/connections'], requireSignedIn)

  r.get('/dashboard', async (req, res) => {
    const user = requireUser(req)
    const cards = await deps.dashboard.cards(user)
    res.render('dashboard', { title: 'Dashboard', cards, formatValue, chartGeometry })
  })

  r.post('/dashboard/refresh', async (req, res) => {
    const user = requireUser(req)
    await deps.cache.clear(
      user.tenantId,
      user.id,
      deps.providers.all().map((p) => p.id),
    )
    flash(req, 'info', 'Refreshed from the providers.')
    res.redirect(303, '/dashboard')
  })

  r.post('/connections/:provider/sms', async (req, res) => {
    const user = requireUser(req)
    const provider = deps.providers.parse(String(req.params.provider))
    const form = checkForm(SmsForm, req.body)
    if (!form.ok) {
      flash(req, 'error', `Not sent: ${Object.values(form.errors).join(' ')}`)
      return res.redirect(303, '/dashboard')
    }
    const ref = { tenantId: user.tenantId, userId: user.id, provider: provider.id }
    try {
      const sent = await deps.connections.use(ref, (ctx, p) =>
        p.sendSms(ctx, { to: form.data.to, text: form.data.text, from: form.data.from || undefined }),
      )
      await deps.cache.clear(user.tenantId, user.id, [provider.id])
      flash(
        req,
        'info',
        `Message sent to ${form.data.to}${sent.messageId ? ` (id ${sent.messageId})` : ''}${sent.price ? `, cost ${formatMoney(sent.price)}` : ''}.`,
      )
    } catch (err) {
      if (!isAppError(err) || !err.expose) throw err
      flash(req, 'error', `Not sent: ${err.message}`)
    }
    res.redirect(303, '/dashboard')
  })
  return r
}
