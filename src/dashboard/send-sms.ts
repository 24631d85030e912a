import type { Request, Response, Router } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import type { MessageSender } from '../connections/message-sender.js'
import { ORGANISATION_OWNER } from '../connections/owner.js'
import { isAppError } from '../errors/app-error.js'
import { checkForm } from '../http/validate.js'
import { phoneField } from './phone-field.js'
import type { ProviderRegistry } from '../providers/registry.js'
import { ENCODING_NAMES, splitSms } from '../providers/sms-encoding.js'
import type { Money, Provider, ProviderId, SmsResult } from '../providers/types.js'
import { localeOf, type Locale } from '../i18n/localize.js'
import type { PanelCache } from './panel-cache.js'

/** What a failed send keeps for the next page: the form as typed and why it failed. */
export interface SmsDraft {
  provider: string
  to: string
  from: string
  text: string
  error: string
}

declare module 'express-session' {
  interface SessionData {
    smsDraft?: SmsDraft
  }
}

const MAX_TEXT = 1520

const SmsForm = z.object({
  to: z.string().trim().max(40, 'dashboard:sms.toLong'),
  text: z.string().trim().min(1, 'dashboard:sms.textMissing').max(MAX_TEXT, 'dashboard:sms.textLong'),
  from: z
    .string()
    .trim()
    .regex(/^([A-Za-z0-9 ]{1,11}|\+?[0-9]{1,16})?$/, 'dashboard:sms.fromInvalid')
    .optional(),
})

// Repeated or nested fields (to[]=…) are not text: keep nothing of them.
const asText = (v: unknown) => (typeof v === 'string' ? v.slice(0, 2000) : '')

/** The draft shown once on the next dashboard page, beside the form it belongs to. */
export function takeSmsDraft(req: Request): SmsDraft | undefined {
  const draft = req.session.smsDraft
  if (draft) delete req.session.smsDraft
  return draft
}

function confirmation({ t, fmt }: Locale, p: Provider, to: string, text: string, sent: SmsResult): string {
  const split = splitSms(text)
  const count = sent.parts ?? split.parts
  const encoding = ENCODING_NAMES[sent.encoding ?? split.encoding]
  const id = sent.messageId ? t('dashboard:sms.sentId', { id: sent.messageId }) : ''
  const cost = sent.price ? t('dashboard:sms.sentCost', { cost: fmt.price(sent.price) }) : ''
  const balance = sent.balance ? t('dashboard:sms.sentBalance', { balance: fmt.money(sent.balance) }) : ''
  return t('dashboard:sms.sent', { to, provider: p.label, id, count, encoding, cost, balance })
}

/**
 * POST /connections/:provider/sms (the person's own connection) and POST
 * /shared/:provider/sms (the organisation's, within the person's access and daily limits):
 * the Send SMS form of each connection that may send, both through the one send path.
 */
export function sendSmsRoute(
  r: Router,
  deps: {
    sender: MessageSender
    providers: ProviderRegistry
    cache: PanelCache
    /** Tells the organisation (`message.sent`); never the text. */
    announceSent?: (
      ref: { tenantId: string; userId: string; provider: ProviderId },
      message: { id: string; to: string; parts: number; cost: Money | null },
      sentBy: string,
    ) => void
  },
): void {
  const route = (shared: boolean) => async (req: Request, res: Response) => {
    const user = requireUser(req)
    const provider = deps.providers.parse(String(req.params.provider))
    const body = (req.body ?? {}) as Record<string, unknown>
    const typed = { to: asText(body.to), from: asText(body.from), text: asText(body.text) }
    const locale = localeOf(req)
    const { t } = locale
    const fail = (reason: string) => {
      req.session.smsDraft = {
        provider: shared ? `shared-${provider.id}` : provider.id,
        ...typed,
        error: t('dashboard:sms.notSent', { reason }),
      }
      res.redirect(303, '/dashboard')
    }
    const form = checkForm(SmsForm, req.body, t)
    if (!form.ok) return fail(Object.values(form.errors).join(' '))
    const to = phoneField(form.data.to, { t })
    if (!to.ok) return fail(t('dashboard:sms.toInvalid', { reason: to.message }))
    const owner = shared ? ORGANISATION_OWNER : user.id
    const ref = { tenantId: user.tenantId, userId: owner, provider: provider.id }
    const sender = { kind: 'person' as const, userId: user.id, email: user.email, admin: user.role === 'admin' }
    try {
      const message = { to: to.number, text: form.data.text, from: form.data.from || undefined }
      const { result, parts, sentBy } = await deps.sender.send(ref, sender, message)
      deps.announceSent?.(
        ref,
        { id: result.messageId ?? '', to: to.number, parts, cost: result.price ?? null },
        sentBy,
      )
      await deps.cache.clear(user.tenantId, owner, [provider.id])
      flash(req, 'info', confirmation(locale, provider, to.number, form.data.text, result))
      res.redirect(303, '/dashboard')
    } catch (err) {
      if (!isAppError(err) || !err.expose) throw err
      // No access (any more) to the organisation's connection: its page, not a form message.
      if (shared && (err.code === 'not_found' || err.code === 'forbidden')) throw err
      if (err.code === 'daily_limit_reached') return fail(t('dashboard:sms.dailyLimit'))
      const { label } = provider
      fail(
        err.message.includes(label)
          ? err.message
          : t('dashboard:sms.answered', { provider: label, message: err.message }),
      )
    }
  }
  r.post('/connections/:provider/sms', route(false))
  r.post('/shared/:provider/sms', route(true))
}
