import { randomBytes } from 'node:crypto'
import { Router, type Request, type Response } from 'express'
import { z } from 'zod'
import { requireRole, requireSignedIn, requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { AppError } from '../errors/app-error.js'
import { localeOf, tOf } from '../i18n/localize.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { Provider } from '../providers/types.js'
import type { User } from '../auth/user-store.js'
import type { CredentialSource } from './credentials.js'
import type { ConnectionLifecycle } from './lifecycle.js'
import { ORGANISATION_OWNER } from './owner.js'
import type { PendingFlowStore } from './pending-flows.js'
import type { ReconnectLinks } from './reconnect-links.js'
import type { ConnectionRef } from './record.js'

declare module 'express-session' {
  interface SessionData {
    askedScopes?: { provider: string; scopes: string[] }
  }
}

export interface ConnectRoutesDeps {
  baseUrl: string
  providers: ProviderRegistry
  lifecycle: ConnectionLifecycle
  flows: PendingFlowStore
  credentials: CredentialSource
  /** Reconnect links (reconnect-routes.ts): a reconnect completed through one uses it up. */
  links?: ReconnectLinks
  /** Told when a reconnect through a link completed (the audit log). */
  onReconnectLinkUsed?: (ref: ConnectionRef, user: User) => Promise<void>
}

// Checkboxes arrive as a string (one ticked) or an array (several).
const ConnectForm = z.object({
  scope: z.union([z.string().max(64), z.array(z.string().max(64)).max(32)]).optional(),
})

function chosenScopes(provider: Provider, body: unknown): string[] {
  if (provider.scopes.length === 0) return []
  const form = ConnectForm.safeParse(body ?? {})
  const raw = form.success ? form.data.scope : undefined
  const picked = [...new Set(raw === undefined ? [] : Array.isArray(raw) ? raw : [raw])]
  const known = new Set(provider.scopes.map((s) => s.name))
  if (!form.success || picked.some((s) => !known.has(s)))
    throw new AppError('validation_failed', 'Unknown scope requested.', { status: 400 })
  return picked
}

/** Where the organisation's shared connections are managed (admin/shared-connections-routes.ts). */
export const SHARED_PAGE = '/admin/connections'

const stateMismatch = () =>
  new AppError(
    'state_mismatch',
    'This sign-in answer is not valid for your session: it expired, was already used, or was started elsewhere. Start connecting again from the dashboard.',
    { status: 400 },
  )

/**
 * Connect, callback and disconnect for any provider: the protocol lives behind
 * `Provider.begin/complete`, this file only binds each flow to the session that began it.
 */
export function connectRoutes(deps: ConnectRoutesDeps): Router {
  const r = Router()
  const callbackUrl = (p: Provider) => `${deps.baseUrl}${p.callbackPath}`

  const begin = async (req: Request, res: Response, owner?: 'organisation') => {
    const user = requireUser(req)
    const provider = deps.providers.parse(String(req.params.provider))
    const scopes = chosenScopes(provider, req.body)
    if (provider.scopes.length > 0 && scopes.length === 0) {
      flash(req, 'error', tOf(req)('dashboard:pickScope', { provider: provider.label }))
      return res.redirect(303, owner ? SHARED_PAGE : '/dashboard')
    }
    await startFlow(deps, req, res, { user, provider, scopes, ...(owner ? { owner } : {}) })
  }
  r.post('/connect/:provider', requireSignedIn, (req, res) => begin(req, res))
  // The same flows, state, PKCE and redirect URIs, for a connection the organisation owns.
  r.post('/admin/connections/:provider/connect', requireRole('admin'), (req, res) =>
    begin(req, res, 'organisation'),
  )

  // After a Deny, the next dashboard's connect form is ticked as it was (connect-form.ejs).
  r.get('/dashboard', (req, res, next) => {
    const asked = req.session.askedScopes
    if (asked) {
      res.locals.askedScopes = asked
      delete req.session.askedScopes
    }
    next()
  })

  for (const provider of deps.providers.all()) {
    r.get(provider.callbackPath, requireSignedIn, (req, res) =>
      finishConnect(deps, provider, req, res, callbackUrl(provider)),
    )
  }

  r.post('/disconnect/:provider', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    const provider = deps.providers.parse(String(req.params.provider))
    const ref = { tenantId: user.tenantId, userId: user.id, provider: provider.id }
    const removed = await deps.lifecycle.disconnect(ref)
    flash(
      req,
      'info',
      tOf(req)(removed ? 'dashboard:disconnected' : 'dashboard:notConnected', { provider: provider.label }),
    )
    res.redirect(303, '/dashboard')
  })
  return r
}

/**
 * Begins a provider's flow for the signed-in person and redirects the browser there; the
 * flow is bound to this session (and, from a reconnect link, to that link).
 */
export async function startFlow(
  deps: Pick<ConnectRoutesDeps, 'baseUrl' | 'credentials' | 'flows'>,
  req: Request,
  res: Response,
  start: { user: User; provider: Provider; scopes: string[]; reconnectLink?: string; owner?: 'organisation' },
): Promise<void> {
  const { user, provider, scopes } = start
  // The flow remembers its client: a credential change meanwhile must not break the callback.
  const { client, credentials } = await deps.credentials.current(user.tenantId, provider.id)
  const state = randomBytes(32).toString('base64url')
  const callbackUrl = `${deps.baseUrl}${provider.callbackPath}`
  const begun = await provider.begin({ credentials, callbackUrl, state, scopes })
  await deps.flows.put({
    provider: provider.id,
    correlation: begun.correlation,
    sessionId: req.sessionID,
    tenantId: user.tenantId,
    userId: user.id,
    scopes,
    pendingSecret: begun.pendingSecret,
    client,
    createdAt: Date.now(),
    ...(start.owner ? { owner: start.owner } : {}),
    ...(start.reconnectLink ? { reconnectLink: start.reconnectLink } : {}),
  })
  res.redirect(303, begun.redirectUrl)
}

async function finishConnect(
  deps: ConnectRoutesDeps,
  provider: Provider,
  req: Request,
  res: Response,
  redirectUri: string,
): Promise<void> {
  const user = requireUser(req)
  const outcome = provider.parseCallback(req.query)
  const flow = await deps.flows.take(outcome.correlation, req.sessionID)
  if (!flow || flow.provider !== provider.id || flow.userId !== user.id || flow.tenantId !== user.tenantId)
    throw stateMismatch()
  const shared = flow.owner === 'organisation'
  // Only an admin may finish a connect for the organisation (the role may have changed meanwhile).
  if (shared && user.role !== 'admin') throw stateMismatch()
  const back = shared ? SHARED_PAGE : '/dashboard'
  if (outcome.kind === 'denied') {
    flash(req, 'error', localeOf(req).tp(outcome.message))
    // The connect form comes back with what was ticked (issue 16), shown once.
    if (!shared) req.session.askedScopes = { provider: provider.id, scopes: flow.scopes }
    return res.redirect(303, back)
  }
  const client = flow.client ?? (await deps.credentials.current(user.tenantId, provider.id)).client
  const credentials = await deps.credentials.issuing(user.tenantId, provider.id, client)
  const grant = await provider.complete({
    credentials,
    callbackUrl: redirectUri,
    params: outcome.params,
    pendingSecret: flow.pendingSecret,
    requestedScopes: flow.scopes,
  })
  const ref = {
    tenantId: user.tenantId,
    userId: shared ? ORGANISATION_OWNER : user.id,
    provider: provider.id,
  }
  await deps.lifecycle.connect(ref, grant, client, user.id)
  if (flow.reconnectLink && (await deps.links?.useUp(flow.reconnectLink)))
    await deps.onReconnectLinkUsed?.(ref, user)
  flash(
    req,
    'info',
    tOf(req)('dashboard:connected', { provider: provider.label, account: grant.accountLabel }),
  )
  res.redirect(303, back)
}
