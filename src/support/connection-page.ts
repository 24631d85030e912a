import { Router, type Request } from 'express'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import type { User, UserStore } from '../auth/user-store.js'
import type { ConnectionStore } from '../connections/connection-store.js'
import type { ConnectionEventLog } from '../connections/event-log.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import type { ReconnectLinks } from '../connections/reconnect-links.js'
import { isShared, ORGANISATION_OWNER } from '../connections/owner.js'
import type { ConnectionRef } from '../connections/record.js'
import type { TenantStore } from '../tenants/tenant-store.js'
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
  users: Pick<UserStore, 'get' | 'page'>
  tenants: Pick<TenantStore, 'get'>
  providers: ProviderRegistry
  audit: AuditLog
  mailer: Pick<Mailer, 'send'>
  baseUrl: string
  onMailFailed?: (err: unknown) => void
}

// The tenant API's ids (`sms77_<user id>`, `sms77_org` for the organisation's), so support and
// integrators name a connection alike.
const ID = new RegExp(`^(${PROVIDER_IDS.join('|')})_([0-9a-f]{24}|${ORGANISATION_OWNER})$`)

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
    const shared = isShared(ref)
    const [record, owner, tenant] = await Promise.all([
      deps.store.get(ref),
      shared ? null : deps.users.get(ref.tenantId, ref.userId),
      shared ? deps.tenants.get(ref.tenantId) : null,
    ])
    if (!record) throw new NotFoundError()
    // Who owns it, as the support console names them: a person's email, or the organisation.
    const who = shared
      ? tOf(req)('support:organisationOwner', { organisation: tenant?.name ?? '' })
      : (owner?.email ?? '')
    return {
      user,
      ref,
      record,
      owner,
      who,
      id: String(req.params.id),
      member: `${ref.userId}:${ref.provider}`,
    }
  }
  /**
   * Who a reconnect link is mailed to: a person's connection to its owner; the organisation's
   * to its admins (they connect and reconnect it; reconnect-routes.ts lets any of them use it).
   */
  const recipients = async (ref: ConnectionRef, owner: User | null): Promise<User[]> => {
    if (!isShared(ref)) return owner ? [owner] : []
    return (await deps.users.page(ref.tenantId, { role: 'admin', offset: 0, limit: 20 })).users
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
    await audit(req, 'support.connection_view', `viewed ${c.who || c.ref.userId} ${provider.id}`, c.member)
    res.set('Cache-Control', 'no-store').render('support-connection', {
      title: tOf(req)('support:connection.title', { provider: provider.label }),
      id: c.id,
      email: c.who,
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
      `tested ${c.who || c.ref.userId} ${provider.id}: ${outcome}`,
      c.member,
    )
    res.redirect(303, `/support/connections/${c.id}`)
  })

  r.post('/support/connections/:id/reconnect-link', async (req, res) => {
    const c = await find(req)
    const provider = deps.providers.get(c.ref.provider)
    const t = tOf(req)
    const to = await recipients(c.ref, c.owner)
    if (c.record.status !== 'needs_reconnect' || to.length === 0) {
      flash(req, 'error', t('support:connection.linkNotNeeded'))
      return res.redirect(303, `/support/connections/${c.id}`)
    }
    // One link: a completed reconnect by any of its recipients uses it up.
    const token = await deps.links.create(c.ref, c.user.id)
    const what = {
      ...{
        provider: provider.label,
        account: c.record.name || c.record.grant.accountLabel,
        by: c.user.email,
      },
      shared: isShared(c.ref),
    }
    const results = await Promise.all(
      to.map((person) =>
        deps.mailer
          .send(
            reconnectMail(
              person.email,
              `${deps.baseUrl}/reconnect/${token}`,
              what,
              mailLanguage(person.language, localeOf(req).lang),
            ),
          )
          .catch((err: unknown) => {
            deps.onMailFailed?.(err)
            return false
          }),
      ),
    )
    const sent = results.every(Boolean)
    const emails = to.map((p) => p.email).join(', ')
    await audit(
      req,
      'support.reconnect_link_sent',
      `reconnect link for ${provider.id} ${sent ? 'mailed to' : 'could not be mailed to'} ${emails}`,
      c.member,
    )
    flash(
      req,
      sent ? 'info' : 'error',
      t(sent ? 'support:connection.linkSent' : 'support:connection.linkNotSent', { email: emails }),
    )
    res.redirect(303, `/support/connections/${c.id}`)
  })
  return r
}
