import { Router } from 'express'
import type { TFunction } from 'i18next'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { tOf } from '../i18n/localize.js'
import { AppError, NotFoundError } from '../errors/app-error.js'
import { checkForm } from '../http/validate.js'
import { checkWebhookUrl } from '../notifications/ssrf-guard.js'
import type { WebhookDeliveries } from '../notifications/webhook-deliveries.js'
import type { WebhookStore } from '../notifications/webhook-store.js'
import type { RecordAdminAction } from './audit-trail.js'

const WebhookForm = z.object({
  url: z.string().trim().min(1, 'admin:webhook.urlMissing').max(2048, 'admin:webhook.urlLong'),
  secret: z.string().min(16, 'admin:webhook.secretShort').max(256),
})
type WebhookInput = z.infer<typeof WebhookForm>
const DeliveryId = z.uuid()

export interface WebhooksRoutesDeps {
  webhooks: WebhookStore
  webhookQueue: WebhookDeliveries
  record: RecordAdminAction
}

/** The form's fields, then the address's syntax; either failure is one message for the flash. */
function parseWebhookForm(
  body: unknown,
  t: TFunction,
): { ok: true; data: WebhookInput } | { ok: false; message: string } {
  const form = checkForm(WebhookForm, body, t)
  if (!form.ok)
    return {
      ok: false,
      message: t('admin:webhook.notSaved', { errors: Object.values(form.errors).join(' ') }),
    }
  try {
    checkWebhookUrl(form.data.url)
  } catch (err) {
    return { ok: false, message: (err as Error).message }
  }
  return { ok: true, data: form.data }
}

async function sendTestEvent(deps: WebhooksRoutesDeps, tenantId: string): Promise<void> {
  if (!(await deps.webhooks.url(tenantId)))
    throw new AppError('validation_failed', 'Set a webhook URL first.', { status: 400 })
  await deps.webhookQueue.enqueue(tenantId, 'webhook.test', {
    event: 'webhook.test',
    tenant: tenantId,
    at: new Date().toISOString(),
  })
}

/** `/admin/webhook`: the tenant's one webhook, set and tested from the credentials page. */
export function webhooksRoutes(deps: WebhooksRoutesDeps): Router {
  const { webhooks, record } = deps
  const r = Router()

  r.post('/admin/webhook', async (req, res) => {
    const { tenantId } = requireUser(req)
    const form = parseWebhookForm(req.body, tOf(req))
    if (!form.ok) {
      flash(req, 'error', form.message)
      return res.redirect(303, '/admin/credentials')
    }
    await webhooks.set(tenantId, form.data.url, form.data.secret)
    await record(req, 'admin.webhook_changed', `set webhook URL ${form.data.url}`)
    flash(req, 'info', tOf(req)('admin:webhook.saved'))
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/webhook/test', async (req, res) => {
    const { tenantId } = requireUser(req)
    await sendTestEvent(deps, tenantId)
    await record(req, 'admin.webhook_test_sent', 'sent a test event to the webhook')
    flash(req, 'info', tOf(req)('admin:webhook.testSent'))
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/webhook/deliveries/:id/retry', async (req, res) => {
    const { tenantId } = requireUser(req)
    const id = DeliveryId.safeParse(req.params.id)
    const letter = id.success ? await deps.webhookQueue.retry(tenantId, id.data) : undefined
    if (!letter) throw new NotFoundError()
    await record(req, 'admin.webhook_retried', `re-queued the ${letter.event} delivery ${letter.id}`)
    flash(req, 'info', tOf(req)('admin:webhook.requeued'))
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/webhook/clear', async (req, res) => {
    const { tenantId } = requireUser(req)
    await webhooks.clear(tenantId)
    await record(req, 'admin.webhook_removed', 'removed the webhook')
    flash(req, 'info', tOf(req)('admin:webhook.removed'))
    res.redirect(303, '/admin/credentials')
  })
  return r
}
