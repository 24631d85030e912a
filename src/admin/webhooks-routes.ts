import { Router } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { AppError, NotFoundError } from '../errors.js'
import { checkForm } from '../http/validate.js'
import { checkWebhookUrl } from '../notifications/ssrf-guard.js'
import type { WebhookDeliveries } from '../notifications/webhook-deliveries.js'
import type { WebhookStore } from '../notifications/webhook-store.js'
import type { RecordAdminAction } from './audit-trail.js'

const WebhookForm = z.object({
  url: z.string().trim().min(1, 'Enter the URL.').max(2048, 'Keep the URL under 2048 characters.'),
  secret: z.string().min(16, 'Use a signing secret of at least 16 characters.').max(256),
})
type WebhookInput = z.infer<typeof WebhookForm>
const DeliveryId = z.uuid()

export interface WebhooksRoutesDeps {
  webhooks: WebhookStore
  webhookQueue: WebhookDeliveries
  record: RecordAdminAction
}

/** The form's fields, then the address's syntax; either failure is one message for the flash. */
function parseWebhookForm(body: unknown): { ok: true; data: WebhookInput } | { ok: false; message: string } {
  const form = checkForm(WebhookForm, body)
  if (!form.ok) return { ok: false, message: `Webhook not saved: ${Object.values(form.errors).join(' ')}` }
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
    const form = parseWebhookForm(req.body)
    if (!form.ok) {
      flash(req, 'error', form.message)
      return res.redirect(303, '/admin/credentials')
    }
    await webhooks.set(tenantId, form.data.url, form.data.secret)
    await record(req, 'admin.webhook_changed', `set webhook URL ${form.data.url}`)
    flash(req, 'info', 'Webhook saved. Its signing secret is stored encrypted and will not be shown again.')
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/webhook/test', async (req, res) => {
    const { tenantId } = requireUser(req)
    await sendTestEvent(deps, tenantId)
    await record(req, 'admin.webhook_test_sent', 'sent a test event to the webhook')
    flash(req, 'info', 'A test event is on its way; its outcome appears under Recent deliveries.')
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/webhook/deliveries/:id/retry', async (req, res) => {
    const { tenantId } = requireUser(req)
    const id = DeliveryId.safeParse(req.params.id)
    const letter = id.success ? await deps.webhookQueue.retry(tenantId, id.data) : undefined
    if (!letter) throw new NotFoundError()
    await record(req, 'admin.webhook_retried', `re-queued the ${letter.event} delivery ${letter.id}`)
    flash(req, 'info', 'The delivery is queued again; its outcome appears under Recent deliveries.')
    res.redirect(303, '/admin/credentials')
  })

  r.post('/admin/webhook/clear', async (req, res) => {
    const { tenantId } = requireUser(req)
    await webhooks.clear(tenantId)
    await record(req, 'admin.webhook_removed', 'removed the webhook')
    flash(req, 'info', 'Webhook removed.')
    res.redirect(303, '/admin/credentials')
  })
  return r
}
