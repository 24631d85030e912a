import { Router, type Request, type Response } from 'express'
import { currentUser, requireSignedIn } from '../auth/current-user.js'
import type { User } from '../auth/user-store.js'
import { tOf } from '../i18n/localize.js'
import type { ConnectionStore } from './connection-store.js'
import { isShared } from './owner.js'
import type { ReconnectLink, ReconnectLinks } from './reconnect-links.js'
import { startFlow, type ConnectRoutesDeps } from './routes.js'

export interface ReconnectRoutesDeps extends Pick<
  ConnectRoutesDeps,
  'baseUrl' | 'credentials' | 'flows' | 'providers'
> {
  links: ReconnectLinks
  store: Pick<ConnectionStore, 'get'>
}

/**
 * The owner's side of a reconnect link mailed by support: GET shows which provider and
 * account it is for and changes nothing (mail scanners open links); the **Reconnect
 * <provider>** button POSTs and starts the provider's flow, bound to this link, which a
 * completed reconnect uses up (routes.ts). Only the connection's owner may use it (for the
 * organisation's shared connection: its admins, to whom support mails it).
 */
export function reconnectRoutes(deps: ReconnectRoutesDeps): Router {
  const r = Router()

  r.get('/reconnect/:token', async (req, res) => {
    const token = String(req.params.token)
    const user = currentUser(req)
    if (!user) {
      // Signed in, the person comes back here (auth/routes.ts); nothing is told before that.
      req.session.returnTo = `/reconnect/${token}`
      return res.redirect(303, '/login')
    }
    const link = await deps.links.find(token)
    if (!link) return gone(req, res)
    if (!ownedBy(link, user)) return notYours(req, res)
    const record = await deps.store.get(link.ref)
    const provider = deps.providers.get(link.ref.provider)
    res.set('Cache-Control', 'no-store').render('reconnect', {
      title: tOf(req)('dashboard:reconnectLink.title', { provider: provider.label }),
      provider,
      account: record?.name || record?.grant.accountLabel || '',
      works: record?.status === 'connected',
      shared: isShared(link.ref),
      token,
    })
  })

  r.post('/reconnect/:token', requireSignedIn, async (req, res) => {
    const link = await deps.links.find(String(req.params.token))
    if (!link) return gone(req, res)
    const user = currentUser(req)!
    if (!ownedBy(link, user)) return notYours(req, res)
    const provider = deps.providers.get(link.ref.provider)
    const record = await deps.store.get(link.ref)
    // The permissions the connection had; a provider with scopes needs at least one.
    const granted = record?.grant.scopes ?? []
    const scopes = provider.scopes.length && !granted.length ? [provider.scopes[0]!.name] : granted
    // The organisation's connection is reconnected as the organisation's (routes.ts: admins only).
    const owner = isShared(link.ref) ? { owner: 'organisation' as const } : {}
    await startFlow(deps, req, res, { user, provider, scopes, reconnectLink: link.digest, ...owner })
  })
  return r
}

/** The connection's owner: the person, or for the organisation's connection any of its admins. */
function ownedBy(link: ReconnectLink, user: User): boolean {
  if (link.ref.tenantId !== user.tenantId) return false
  return isShared(link.ref) ? user.role === 'admin' : link.ref.userId === user.id
}

function gone(req: Request, res: Response): void {
  const t = tOf(req)
  res.status(404).render('message', {
    title: t('dashboard:reconnectLink.goneTitle'),
    heading: t('dashboard:reconnectLink.goneTitle'),
    text: t('dashboard:reconnectLink.gone'),
  })
}

function notYours(req: Request, res: Response): void {
  const t = tOf(req)
  res.status(403).render('message', {
    title: t('dashboard:reconnectLink.notYoursTitle'),
    heading: t('dashboard:reconnectLink.notYoursTitle'),
    text: t('dashboard:reconnectLink.notYours'),
  })
}
