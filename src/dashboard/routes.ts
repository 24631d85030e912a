import { Router } from 'express'
import { requireSignedIn, requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import type { KeptRead } from '../connections/kept-read.js'
import type { ProviderRegistry } from '../providers/registry.js'
import { formatValue } from '../views/format.js'
import { tOf } from '../i18n/localize.js'
import type { DashboardService } from './dashboard-service.js'
import type { PanelCache } from './panel-cache.js'
import { chartGeometry } from './chart.js'
import { sendSmsRoute, takeSmsDraft } from './send-sms.js'
import { scopeActionRoutes, takeToolOutcome } from './scope-actions.js'
import { connectionNameRoute } from './connection-name.js'
import type { MessageSender } from '../connections/message-sender.js'
import type { SharedCards } from './shared-cards.js'

export function dashboardRoutes(deps: {
  dashboard: DashboardService
  connections: ConnectionLifecycle
  providers: ProviderRegistry
  cache: PanelCache
  kept: Pick<KeptRead, 'mayReadFresh' | 'clear'>
  sender: MessageSender
  shared: SharedCards
  announceSent?: Parameters<typeof sendSmsRoute>[1]['announceSent']
}): Router {
  const r = Router()
  r.use(['/dashboard', '/connections', '/shared'], requireSignedIn)

  r.get('/dashboard', async (req, res) => {
    const user = requireUser(req)
    const [cards, sharedCards] = await Promise.all([deps.dashboard.cards(user), deps.shared.cards(user)])
    const smsDraft = takeSmsDraft(req)
    const toolOutcome = takeToolOutcome(req)
    res.render('dashboard', {
      title: tOf(req)('dashboard:title'),
      cards,
      sharedCards,
      formatValue,
      chartGeometry,
      smsDraft,
      toolOutcome,
    })
  })

  r.post('/dashboard/refresh', async (req, res) => {
    const user = requireUser(req)
    const providers = deps.providers.all().map((p) => p.id)
    await deps.cache.clear(user.tenantId, user.id, providers)
    // The balance is read again too, at most once per connection per FRESH_EVERY_MS (every reader shares it).
    await Promise.all(
      providers.map(async (provider) => {
        const ref = { tenantId: user.tenantId, userId: user.id, provider }
        if ((await deps.kept.mayReadFresh(ref)) === 0) await deps.kept.clear(ref)
      }),
    )
    flash(req, 'info', tOf(req)('dashboard:refreshed'))
    res.redirect(303, '/dashboard')
  })

  sendSmsRoute(r, deps)
  scopeActionRoutes(r, deps)
  connectionNameRoute(r, deps)
  return r
}
