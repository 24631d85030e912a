import { Router, type Request, type Response } from 'express'
import { currentUser } from '../auth/current-user.js'
import type { Reauth, ReauthPurpose, Reconfirmed } from '../auth/reauth.js'
import { flash, saveSession } from '../auth/session.js'
import { normaliseEmail, type User } from '../auth/user-store.js'
import { tOf } from '../i18n/localize.js'
import type { Audit } from './audit.js'
import { SsoFlowError, type SsoChecks, type SsoClient, type SsoClientConfig } from './sso-client.js'
import { SSO_CALLBACK_PATH, sameText } from './sso-routes.js'
import type { SsoStore } from './sso-store.js'

declare module 'express-session' {
  interface SessionData {
    /** One re-authentication under way: whose, what for, and the checks its callback must meet. */
    ssoReauth?: SsoChecks & { tenantId: string; userId: string; purpose: ReauthPurpose; at: number }
  }
}

/** How long the person may take at the identity provider (the sign-in itself must be within REAUTH_MAX_AGE_MS). */
const FLOW_TTL_MS = 10 * 60_000
/** How recent the sign-in at the identity provider must be (its auth_time), and the clock leeway. */
export const REAUTH_MAX_AGE_MS = 5 * 60_000
const SKEW_MS = 60_000
const BACK = '/account'

export type ReauthRefusal = 'expired' | 'unavailable' | 'token' | 'person' | 'stale'

export interface SsoReauthDeps {
  store: SsoStore
  client: SsoClient
  audit: Audit
  baseUrl: string
  now: () => number
  onFailure?: (reason: string, cause: unknown) => void
}

/**
 * Single sign-on re-authentication (issue 27): the organisation's identity provider is asked
 * to sign the person in again (prompt=login, max_age=0) on the same redirect URI as sign-in;
 * its callback is taken here when the session holds a re-authentication with that state.
 * Only the same person (verified email), signed in at the provider within five minutes,
 * confirms; the flow is bound to the signed-in person and used once.
 */
export function ssoReauth(deps: SsoReauthDeps): { reauth: Reauth; router: Router } {
  const handlers = new Map<ReauthPurpose, Reconfirmed>()
  const redirectUri = new URL(SSO_CALLBACK_PATH, deps.baseUrl).toString()

  /** The organisation's client, when single sign-on is set up for this person's email. */
  const clientFor = async (user: Pick<User, 'tenantId' | 'email'>) => {
    if ((await deps.store.tenantForEmail(user.email)) !== user.tenantId) return null
    const settings = await deps.store.get(user.tenantId)
    const secret = await deps.store.clientSecret(user.tenantId)
    if (!settings || !secret) return null
    const config: SsoClientConfig = {
      issuer: settings.issuer,
      clientId: settings.clientId,
      clientSecret: secret,
    }
    return { settings, config }
  }

  const reauth: Reauth = {
    async way(user) {
      const found = await clientFor(user)
      if (!found) return 'password'
      // As the password ways in: required single sign-on leaves admins their password.
      return found.settings.required && user.role !== 'admin' ? 'sso' : 'both'
    },
    async start(req, user, purpose) {
      const found = await clientFor(user)
      if (!found) return null
      try {
        const { url, checks } = await deps.client.start(found.config, {
          redirectUri,
          loginHint: user.email,
          fresh: true,
        })
        req.session.ssoReauth = {
          ...checks,
          tenantId: user.tenantId,
          userId: user.id,
          purpose,
          at: deps.now(),
        }
        await saveSession(req)
        return url
      } catch (err) {
        if (!(err instanceof SsoFlowError)) throw err
        deps.onFailure?.(err.reason, err.cause)
        return null
      }
    },
    onConfirmed(purpose, then) {
      handlers.set(purpose, then)
    },
  }

  const router = Router()
  router.get(SSO_CALLBACK_PATH, async (req, res, next) => {
    const flow = req.session.ssoReauth
    const state = typeof req.query.state === 'string' ? req.query.state : ''
    // Not a re-authentication of this session's: the sign-in callback's.
    if (!flow || !sameText(state, flow.state)) return next()
    // Used once, whatever happens next.
    delete req.session.ssoReauth
    await saveSession(req)
    const user = currentUser(req)
    const refuse = async (reason: ReauthRefusal, detail = '') => {
      if (user)
        await deps.audit(
          req,
          user,
          'signin.sso_reauth_refused',
          `${flow.purpose}: ${reason} ${detail}`.trim(),
        )
      refused(req, res, reason)
    }
    const then = handlers.get(flow.purpose)
    if (!user || user.id !== flow.userId || user.tenantId !== flow.tenantId || !then) return refuse('expired')
    if (deps.now() - flow.at > FLOW_TTL_MS) return refuse('expired')
    const found = await clientFor(user)
    if (!found) return refuse('unavailable')
    let identity
    try {
      identity = await deps.client.finish(found.config, new URL(req.originalUrl, deps.baseUrl), flow)
    } catch (err) {
      if (!(err instanceof SsoFlowError)) throw err
      deps.onFailure?.(err.reason, err.cause)
      return refuse(err.reason === 'unavailable' ? 'unavailable' : 'token', err.reason)
    }
    const email = identity.email ? normaliseEmail(identity.email) : ''
    if (!identity.emailVerified || email !== normaliseEmail(user.email))
      return refuse('person', `confirmed as ${email || 'an unknown person'}`)
    const authMs = (identity.authTime ?? 0) * 1000
    const now = deps.now()
    if (authMs < flow.at - SKEW_MS || now - authMs > REAUTH_MAX_AGE_MS || authMs > now + SKEW_MS)
      return refuse(
        'stale',
        identity.authTime ? `signed in ${Math.round((now - authMs) / 1000)} s before` : '',
      )
    await then(req, res, user)
  })
  return { reauth, router }
}

function refused(req: Request, res: Response, reason: ReauthRefusal): void {
  flash(req, 'error', tOf(req)(`signin:reauth.reasons.${reason}`))
  res.redirect(303, BACK)
}
