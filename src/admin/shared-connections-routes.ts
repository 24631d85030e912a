import { Router, type Request, type Response } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import type { UserStore } from '../auth/user-store.js'
import type { ConnectionStore } from '../connections/connection-store.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import type { KeptRead } from '../connections/kept-read.js'
import { maskNumber, type MessageSender } from '../connections/message-sender.js'
import { sharedRef } from '../connections/owner.js'
import type { SharedAccess } from '../connections/shared-access.js'
import { NotFoundError } from '../errors/app-error.js'
import { tOf } from '../i18n/localize.js'
import { checkForm, parseInput } from '../http/validate.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { Money, Provider } from '../providers/types.js'
import type { RecordAdminAction } from './audit-trail.js'

export interface SharedConnectionsDeps {
  store: ConnectionStore
  lifecycle: ConnectionLifecycle
  kept: Pick<KeptRead, 'read'> // the connection's one kept read (balance at most 30 s old)
  sharing: SharedAccess
  sender: MessageSender
  users: UserStore
  providers: ProviderRegistry
  record: RecordAdminAction
}

// Empty means no limit; a limit is whole SMS parts per UTC day.
const limitField = z
  .string()
  .trim()
  .max(9)
  .regex(/^\d*$/, 'admin:shared.limitInvalid')
  .transform((v) => (v === '' ? null : Number(v)))
const AccessForm = z.object({
  email: z.string().trim().toLowerCase().email('admin:shared.emailInvalid').max(254),
  maySend: z.literal('on').optional(),
  dailyLimit: limitField.optional(),
})
const LimitForm = z.object({ orgLimit: limitField.optional() })
const PersonParam = z.object({ userId: z.string().regex(/^[a-f0-9]{1,64}$/) })

const SENT_ROWS = 50

/**
 * `/admin/connections`: the organisation's shared connections (connected through the same
 * flows as personal ones, connections/routes.ts), who may use them, their daily limits and
 * what was sent through them by whom.
 */
export function sharedConnectionsRoutes(deps: SharedConnectionsDeps): Router {
  const r = Router()
  const providerOf = (req: Request) => deps.providers.parse(String(req.params.provider))

  const render = async (req: Request, res: Response, status = 200, errors: Record<string, string> = {}) => {
    const { tenantId } = requireUser(req)
    const sharing = await deps.sharing.all(tenantId)
    const shared = await Promise.all(
      deps.providers.all().map(async (provider) => {
        const ref = sharedRef(tenantId, provider.id)
        const record = await deps.store.get(ref).catch(() => null)
        if (!record) return null
        const [balance, sent] = await Promise.all([
          balanceOf(deps, provider, ref, record.status),
          deps.sender.list(ref, { count: SENT_ROWS }),
        ])
        const access = sharing.get(provider.id) ?? { people: [], limit: null }
        const messages = sent.messages.map((m) => ({ ...m, to: maskNumber(m.to) }))
        return { provider, record, balance, access, messages }
      }),
    )
    res.status(status).render('admin-connections', {
      title: tOf(req)('admin:shared.title'),
      sms77: deps.providers.all().find((p) => p.scopes.length > 0),
      providers: deps.providers.all(),
      shared: shared.filter((s) => s !== null),
      errors,
    })
  }

  r.get('/admin/connections', (req, res) => render(req, res))

  r.post('/admin/connections/:provider/disconnect', async (req, res) => {
    const provider = providerOf(req)
    const { tenantId, id } = requireUser(req)
    const removed = await deps.lifecycle.disconnect(sharedRef(tenantId, provider.id), 'user', id)
    if (removed) {
      await deps.sharing.forget(tenantId, provider.id)
      await deps.record(req, 'admin.shared_disconnected', `disconnected the organisation's ${provider.label}`)
    }
    const key = removed ? 'dashboard:disconnected' : 'dashboard:notConnected'
    flash(req, 'info', tOf(req)(key, { provider: provider.label }))
    res.redirect(303, '/admin/connections')
  })

  r.post('/admin/connections/:provider/access', async (req, res) => {
    const provider = providerOf(req)
    const admin = requireUser(req)
    const t = tOf(req)
    if (!(await deps.store.status(sharedRef(admin.tenantId, provider.id))))
      throw new NotFoundError('The organisation has no such connection.')
    const form = checkForm(AccessForm, req.body, t)
    if (!form.ok) return render(req, res, 400, prefixed(provider, form.errors))
    const found = await deps.users.findForLogin(form.data.email)
    const person = found && found.user.tenantId === admin.tenantId ? found.user : null
    if (!person) return render(req, res, 400, { [`${provider.id}.email`]: t('admin:shared.noSuchPerson') })
    const entry = {
      userId: person.id,
      email: person.email,
      maySend: form.data.maySend === 'on',
      dailyLimit: form.data.dailyLimit ?? null,
    }
    await deps.sharing.grant(admin.tenantId, provider.id, entry)
    const limit = entry.dailyLimit === null ? 'no daily limit' : `daily limit ${entry.dailyLimit}`
    const send = entry.maySend ? 'may send' : 'may not send'
    await deps.record(
      req,
      'admin.shared_access_granted',
      `gave ${person.email} access to the organisation's ${provider.label} (${send}, ${limit})`,
    )
    flash(req, 'info', t('admin:shared.granted', { email: person.email, provider: provider.label }))
    res.redirect(303, '/admin/connections')
  })

  r.post('/admin/connections/:provider/access/:userId/remove', async (req, res) => {
    const provider = providerOf(req)
    const { userId } = parseInput(PersonParam, req.params)
    const { tenantId } = requireUser(req)
    const [entry] = await deps.sharing.of(tenantId, userId, [provider.id])
    if (!entry || !(await deps.sharing.remove(tenantId, provider.id, userId)))
      throw new NotFoundError('No such access.')
    await deps.record(
      req,
      'admin.shared_access_removed',
      `removed ${entry.email}'s access to the organisation's ${provider.label}`,
    )
    flash(req, 'info', tOf(req)('admin:shared.removed', { email: entry.email, provider: provider.label }))
    res.redirect(303, '/admin/connections')
  })

  r.post('/admin/connections/:provider/limit', async (req, res) => {
    const provider = providerOf(req)
    const { tenantId } = requireUser(req)
    const t = tOf(req)
    const form = checkForm(LimitForm, req.body, t)
    if (!form.ok) return render(req, res, 400, prefixed(provider, form.errors))
    const limit = form.data.orgLimit ?? null
    await deps.sharing.setLimit(tenantId, provider.id, limit)
    await deps.record(
      req,
      'admin.shared_limit_changed',
      `set the organisation's daily limit for ${provider.label} to ${limit ?? 'none'}`,
    )
    flash(req, 'info', t('admin:shared.limitSaved', { provider: provider.label }))
    res.redirect(303, '/admin/connections')
  })
  return r
}

function prefixed(provider: Provider, errors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [`${provider.id}.${k}`, v]))
}

async function balanceOf(
  deps: SharedConnectionsDeps,
  provider: Provider,
  ref: ReturnType<typeof sharedRef>,
  status: string,
): Promise<Money | null> {
  if (status !== 'connected') return null
  try {
    return (await deps.kept.read(ref)).profile.balance ?? null
  } catch {
    return null
  }
}
