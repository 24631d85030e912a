import { Router } from 'express'
import type { TFunction } from 'i18next'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { tOf } from '../i18n/localize.js'
import { AppError, NotFoundError } from '../errors/app-error.js'
import { checkForm } from '../http/validate.js'
import type { EventLog } from '../events/event-log.js'
import type { EventPublisher } from '../notifications/event-publisher.js'
import { generateSecret, parseSecret } from '../notifications/signing-secret.js'
import { checkWebhookUrl, reachesPrivateNetwork } from '../notifications/ssrf-guard.js'
import type { WebhookDeliveries } from '../notifications/webhook-deliveries.js'
import type { WebhookStore } from '../notifications/webhook-store.js'
import type { RecordAdminAction } from './audit-trail.js'
import type { CredentialsPage } from './credentials-routes.js'

const WebhookForm = z.object({
  url: z.string().trim().min(1, 'admin:webhook.urlMissing').max(2048, 'admin:webhook.urlLong'),
  // Empty: Switchboard makes one. `whsec_…` as given; any other 16+ characters are the key itself.
  secret: z
    .string()
    .trim()
    .max(256)
    .refine((s) => s === '' || s.startsWith('whsec_') || s.length >= 16, 'admin:webhook.secretShort')
    .refine((s) => !s.startsWith('whsec_') || parseSecret(s) !== undefined, 'admin:webhook.secretMalformed')
    .default(''),
})
type WebhookInput = z.infer<typeof WebhookForm>
const DeliveryId = z.uuid()

export interface WebhooksRoutesDeps {
  webhooks: WebhookStore
  webhookQueue: WebhookDeliveries
  events: EventPublisher
  eventLog: EventLog
  record: RecordAdminAction
  page: CredentialsPage
  /** The operator's WEBHOOK_ALLOW_PRIVATE: without it, a private address is warned about at save time. */
  webhookAllowPrivate?: boolean
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

/** `/admin/webhook`: the tenant's one webhook, set and tested from the credentials page. */
export function webhooksRoutes(deps: WebhooksRoutesDeps): Router {
  const { webhooks, record, page } = deps
  const r = Router()

  r.post('/admin/webhook', async (req, res) => {
    const { tenantId } = requireUser(req)
    const t = tOf(req)
    const form = parseWebhookForm(req.body, t)
    if (!form.ok) {
      flash(req, 'error', form.message)
      return res.redirect(303, '/admin/credentials')
    }
    const given = form.data.secret
    const secret = given === '' ? generateSecret() : given
    await webhooks.set(tenantId, form.data.url, secret)
    await record(req, 'admin.webhook_changed', `set webhook URL ${form.data.url}`)
    // Saved (the admin may be setting up a tunnel), but never silently undeliverable.
    const unreachable = !deps.webhookAllowPrivate && (await reachesPrivateNetwork(new URL(form.data.url)))
    const warning = unreachable ? [{ kind: 'error', text: t('admin:webhookPrivate.warning') }] : []
    if (given !== '') {
      for (const w of warning) flash(req, 'error', w.text)
      if (!unreachable) flash(req, 'info', t('admin:webhook.saved'))
      return res.redirect(303, '/admin/credentials')
    }
    res.locals.flash = [
      ...(res.locals.flash ?? []),
      ...warning,
      { kind: 'info', text: t('admin:webhook.savedGenerated') },
    ]
    await page(req, res, { newSecret: secret })
  })

  r.post('/admin/webhook/rotate', async (req, res) => {
    const { tenantId } = requireUser(req)
    const t = tOf(req)
    const secret = generateSecret()
    if (!(await webhooks.rotate(tenantId, secret)))
      throw new AppError('validation_failed', 'Set a webhook URL first.', { status: 400 })
    await record(req, 'admin.webhook_secret_rotated', 'rotated the webhook signing secret')
    res.locals.flash = [...(res.locals.flash ?? []), { kind: 'info', text: t('admin:webhook.rotated') }]
    await page(req, res, { newSecret: secret })
  })

  r.post('/admin/webhook/test', async (req, res) => {
    const { tenantId } = requireUser(req)
    if (!(await webhooks.url(tenantId)))
      throw new AppError('validation_failed', 'Set a webhook URL first.', { status: 400 })
    await deps.events.publish(tenantId, 'test', { message: 'This is a test event from Switchboard.' })
    await record(req, 'admin.webhook_test_sent', 'sent a test event to the webhook')
    flash(req, 'info', tOf(req)('admin:webhook.testSent'))
    res.redirect(303, '/admin/credentials')
  })

  // Any delivery of the last 30 days, again, under its event's own id (receivers deduplicate on it).
  r.post('/admin/webhook/events/:position/resend', async (req, res) => {
    const { tenantId } = requireUser(req)
    const event = await deps.eventLog.at(tenantId, String(req.params.position))
    const job = await deps.events.resend(tenantId, event)
    if (!job || !event) throw new NotFoundError()
    await record(req, 'admin.webhook_resent', `sent the ${event.type} event ${event.id} again`)
    flash(req, 'info', tOf(req)('admin:webhook.resent'))
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
