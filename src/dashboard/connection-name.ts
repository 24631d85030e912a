import type { Router } from 'express'
import { z } from 'zod'
import { displayText } from '../http/display-text.js'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { checkForm } from '../http/validate.js'
import { tOf } from '../i18n/localize.js'
import type { ProviderRegistry } from '../providers/registry.js'

export const MAX_NAME = 60

const NameForm = z.object({
  name: displayText(MAX_NAME, { long: 'dashboard:name.long', chars: 'dashboard:name.chars' }),
})

/**
 * POST /connections/:provider/name: the owner's own name for a connection, stored with it
 * through the lifecycle (announced like every change) and shown instead of the account id.
 * An empty name clears it; a disconnect forgets it with the connection.
 */
export function connectionNameRoute(
  r: Router,
  deps: { connections: ConnectionLifecycle; providers: ProviderRegistry },
): void {
  r.post('/connections/:provider/name', async (req, res) => {
    const user = requireUser(req)
    const provider = deps.providers.parse(String(req.params.provider))
    const raw = (req.body as Record<string, unknown> | undefined)?.name
    const typed = { name: typeof raw === 'string' ? raw.slice(0, 200) : '' }
    const t = tOf(req)
    const form = checkForm(NameForm, typed, t)
    if (!form.ok) {
      req.session.toolOutcome = {
        provider: provider.id,
        tool: 'name',
        typed,
        error: t('admin:notSaved', { errors: form.errors.name }),
      }
      return res.redirect(303, `/dashboard#name-${provider.id}`)
    }
    const ref = { tenantId: user.tenantId, userId: user.id, provider: provider.id }
    const name = form.data.name
    if (!(await deps.connections.rename(ref, name))) {
      flash(req, 'error', t('dashboard:name.gone', { provider: provider.label }))
      return res.redirect(303, '/dashboard')
    }
    flash(
      req,
      'info',
      t(name ? 'dashboard:name.named' : 'dashboard:name.cleared', { provider: provider.label, name }),
    )
    res.redirect(303, '/dashboard')
  })
}
