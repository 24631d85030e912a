import { Router, type Request } from 'express'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import type { UserStore } from '../auth/user-store.js'
import type { ConnectionStore } from '../connections/connection-store.js'
import type { ConnectionEventLog } from '../connections/event-log.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import type { ReconnectLinks } from '../connections/reconnect-links.js'
import type { ConnectionRef } from '../connections/record.js'
import { isAppError, NotFoundError } from '../errors/app-error.js'
import { localeOf, tOf } from '../i18n/localize.js'
import type { Mailer } from '../mail/mailer.js'
import { mailLanguage, reconnectMail } from '../mail/messages.js'
import type { ProviderRegistry } from '../providers/registry.js'
import { PROVIDER_IDS, type ProviderId } from '../providers/types.js'
import type { AuditAction, AuditLog } from '../audit/audit-log.js'

export interface ConnectionPageDeps {
  store: Pick<ConnectionStore, 'get'>
  lifecycle: Pick<ConnectionLifecycle, 'use'>
  events: Pick<ConnectionEventLog, 'recent'>
  links: Pick<ReconnectLinks, 'create'>
  users: Pick<UserStore, 'get'>
  providers: ProviderRegistry
  audit: AuditLog
  mailer: Pick<Mailer, 'send'>
  baseUrl: string
  onMailFailed?: (err: unknown) => void
}

// The tenant API's ids (`sms77_<user id>`), so support and integrators name a connection alike.
const ID = new RegExp(`^(${PROVIDER_IDS.join('|')})_([0-9a-f]{24})$`)

/**
 * `/support/connections/:id` (support and admins, guarded with the rest of /support): a
 * connection's status, reason and last 50 events, **Test connection** (reads the account
 * now, through the lifecycle and its back-off) and, when it needs reconnect, **Send
 * reconnect link** to its owner. Every view, test and link is audited. Nothing shown is a
 * token or a provider's own text: events are words from a closed list.
 */
export function connectionPageRoutes(deps: ConnectionPageDeps): Router {
  const r = Router()

  /** The connection an id names in the signed-in person's own tenant, or 404. */
  const find = async (req: Request) => {
    const user = requireUser(req)
    const m = ID.exec(String(req.params.id))
    if (!m) throw new NotFoundError()
    const ref: ConnectionRef = { tenantId: user.tenantId, userId: m[2]!, provider: m[1] as ProviderId }
    const [record, owner] = await Promise.all([deps.store.get(ref), deps.users.get(ref.tenantId, ref.userId)])
    if (!record) throw new NotFoundError()
    return { user, ref, record, owner, id: String(req.params.id), member: `${ref.userId}:${ref.provider}` }
  }
  const audit = (req: Request, action: AuditAction, detail: string, member: string) => {
    const user = requireUser(req)
    return deps.audit.record(user.tenantId, {
      actorId: user.id,
      actorEmail: user.email,
      action,
      detail,
      accounts: [member],
    })
  }

  r.get('/support/connections/:id', async (req, res) => {
    const c = await find(req)
    const provider = deps.providers.get(c.ref.provider)
    const events = await deps.events.recent(c.ref)
    await audit(
      req,
      'support.connection_view',
      `viewed ${c.owner?.email ?? c.ref.userId} ${provider.id}`,
      c.member,
    )
    res.set('Cache-Control', 'no-store').render('support-connection', {
      title: tOf(req)('support:connection.title', { provider: provider.label }),
      id: c.id,
      email: c.owner?.email ?? '',
      provider,
      account: c.record.name || c.record.grant.accountLabel,
      status: c.record.status,
      statusReason: c.record.statusReason,
      nextTry: c.record.status === 'degraded' ? c.record.backoff?.until : undefined,
      connectedAt: c.record.createdAt,
      scopes: c.record.grant.scopes,
      events,
    })
  })

  r.post('/support/connections/:id/test', async (req, res) => {
    const c = await find(req)
    const provider = deps.providers.get(c.ref.provider)
    const { t, fmt } = localeOf(req)
    let outcome: string
    try {
      const profile = await deps.lifecycle.use(c.ref, (ctx, p) => p.fetchProfile(ctx))
      outcome = 'ok'
      const balance = profile.balance ? fmt.money(profile.balance) : '–'
      flash(req, 'info', t('support:connection.testOk', { provider: provider.label, balance }))
    } catch (err) {
      // Our own words only (the providers' translators never pass their text on).
      outcome = isAppError(err) ? err.code : 'internal'
      const why = isAppError(err) && err.expose ? err.message : t('support:connection.testUnknown')
      flash(req, 'error', t('support:connection.testFailed', { provider: provider.label, error: why }))
    }
    await audit(
      req,
      'support.connection_test',
      `tested ${c.owner?.email ?? c.ref.userId} ${provider.id}: ${outcome}`,
      c.member,
    )
    res.redirect(303, `/support/connections/${c.id}`)
  })

  r.post('/support/connections/:id/reconnect-link', async (req, res) => {
    const c = await find(req)
    const provider = deps.providers.get(c.ref.provider)
    const t = tOf(req)
    if (c.record.status !== 'needs_reconnect' || !c.owner) {
      flash(req, 'error', t('support:connection.linkNotNeeded'))
      return res.redirect(303, `/support/connections/${c.id}`)
    }
    const token = await deps.links.create(c.ref, c.user.id)
    const mail = reconnectMail(
      c.owner.email,
      `${deps.baseUrl}/reconnect/${token}`,
      { provider: provider.label, account: c.record.name || c.record.grant.accountLabel, by: c.user.email },
      mailLanguage(c.owner.language, localeOf(req).lang),
    )
    const sent = await deps.mailer.send(mail).catch((err: unknown) => {
      deps.onMailFailed?.(err)
      return false
    })
    await audit(
      req,
      'support.reconnect_link_sent',
      `reconnect link for ${provider.id} ${sent ? 'mailed to' : 'could not be mailed to'} ${c.owner.email}`,
      c.member,
    )
    flash(
      req,
      sent ? 'info' : 'error',
      t(sent ? 'support:connection.linkSent' : 'support:connection.linkNotSent', { email: c.owner.email }),
    )
    res.redirect(303, `/support/connections/${c.id}`)
  })
  return r
}
