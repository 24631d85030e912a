import { Router, type RequestHandler } from 'express'
import type { AccountService } from '../auth/account-service.js'
import { requireSignedIn, requireUser } from '../auth/current-user.js'
import type { LoginLimiter } from '../auth/login-limiter.js'
import type { AfterPassword } from '../auth/routes.js'
import type { SessionIndex } from '../auth/session-index.js'
import type { ClosedWay, SsoRule } from '../auth/sso-rule.js'
import type { UserStore } from '../auth/user-store.js'
import type { TenantCiphers } from '../crypto/tenant-ciphers.js'
import type { RedisClient } from '../redis/client.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import { auditOf, type SignInAuditLog } from './audit.js'
import { passwordGate } from './gate.js'
import { confineHalfSignedIn } from './pending.js'
import { SecretBox } from './secret-box.js'
import { PersonSessions } from './sessions.js'
import { TwoStepStore } from './two-step-store.js'
import { twoStepRoutes } from './two-step-routes.js'
import { SsoClient } from './sso-client.js'
import { allowIssuersInFormAction, ssoRoutes, type SsoRoutesDeps } from './sso-routes.js'
import { ssoReauth } from './sso-reauth.js'
import type { Reauth } from '../auth/reauth.js'
import { domainOf, SsoStore } from './sso-store.js'

export { confineHalfSignedIn } from './pending.js'

export interface StaffSignInDeps {
  redis: RedisClient
  ciphers: TenantCiphers
  users: UserStore
  tenants: TenantStore
  accounts: AccountService
  sessions: SessionIndex
  limiter: LoginLimiter
  audit: SignInAuditLog
  /** The clock codes and ID tokens are checked against (tests move it). */
  now?: () => number
  baseUrl: string
  /** In the sandbox, /admin/sso starts filled in with the sandbox's identity provider. */
  sandboxSso?: SsoRoutesDeps['sandboxDefaults']
  logger?: { warn(obj: object, msg: string): void }
}

export interface StaffSignIn {
  afterPassword: AfterPassword
  /** Required single sign-on, for every password way in (sign-up, reset, invitations). */
  ssoRule: SsoRule
  /** Confines a half-signed-in session, and lets /login's form reach the issuers; after the session and user are loaded. */
  confine: RequestHandler[]
  router: Router
  twoStep: TwoStepStore
  sso: SsoStore
  /** Single sign-on re-authentication, for steps that cannot be undone (Delete my account). */
  reauth: Reauth
}

/** Two-step codes (and, with it, the /account sessions list) for staff sign-in. */
export function staffSignIn(deps: StaffSignInDeps): StaffSignIn {
  const box = new SecretBox(deps.ciphers)
  const twoStep = new TwoStepStore(deps.redis, box, deps.now)
  const people = new PersonSessions(deps.redis, deps.sessions)
  const audit = auditOf(deps.audit)
  const signInDeps = { accounts: deps.accounts, sessions: deps.sessions }
  const sso = new SsoStore(deps.redis, box)
  const client = new SsoClient(deps.now)
  const onFailure = (reason: string, cause: unknown) =>
    deps.logger?.warn({ reason, ...whyOf(cause) }, 'single sign-on refused')
  const { reauth, router: reauthRouter } = ssoReauth({
    store: sso,
    client,
    audit,
    baseUrl: deps.baseUrl,
    now: deps.now ?? Date.now,
    onFailure,
  })
  const router = Router()
  // /account shows two-step and the person's sessions beside what passwordRoutes renders.
  router.use('/account', requireSignedIn, async (req, res, next) => {
    if (req.path !== '/') return next()
    const user = requireUser(req)
    const [on, recoveryLeft, activeSessions, confirmWay] = await Promise.all([
      twoStep.isEnabled(user.tenantId, user.id),
      twoStep.recoveryCodesLeft(user.tenantId, user.id),
      people.list(user.tenantId, user.id, req.sessionID),
      reauth.way(user),
    ])
    res.locals.twoStep = { on, recoveryLeft }
    res.locals.activeSessions = activeSessions
    res.locals.confirmWay = confirmWay
    next()
  })
  router.use(
    twoStepRoutes({
      ...signInDeps,
      twoStep,
      users: deps.users,
      limiter: deps.limiter,
      people,
      audit,
      issuer: 'Switchboard',
    }),
  )
  // Before the sign-in callback: a re-authentication's callback comes to the same redirect URI.
  router.use(reauthRouter)
  router.use(
    ssoRoutes({
      ...signInDeps,
      store: sso,
      client,
      users: deps.users,
      people,
      audit,
      baseUrl: deps.baseUrl,
      sandboxDefaults: deps.sandboxSso,
      onFailure,
    }),
  )
  const ssoRule: SsoRule = {
    requiredBy: async (email) => {
      const tenantId = domainOf(email) ? await sso.tenantForEmail(email) : null
      return tenantId && (await sso.get(tenantId))?.required ? tenantId : null
    },
    requiredDomains: async (tenantId) => {
      const settings = await sso.get(tenantId)
      return settings?.required ? settings.domains : []
    },
    refused: (who, way, ip) =>
      deps.audit.record(who.tenantId, {
        actorId: who.id ?? '',
        actorEmail: who.email,
        action: 'signin.password_refused_sso',
        detail: `${WAY_DETAIL[way]} (single sign-on required) from ${ip}`,
        accounts: [],
      }),
  }
  const afterPassword = passwordGate({ ...signInDeps, twoStep, tenants: deps.tenants, audit, ssoRule })
  return {
    afterPassword,
    ssoRule,
    confine: [confineHalfSignedIn, allowIssuersInFormAction(sso)],
    router,
    twoStep,
    sso,
    reauth,
  }
}

const WAY_DETAIL: Record<ClosedWay, string> = {
  'sign-up': 'no password sign-up',
  reset: 'no reset link mailed',
  'reset link': 'no password set through an earlier reset link',
  invitation: 'joined through an invitation without a password',
}

/**
 * The library's words for a refusal and its inner error's (which names the claim, e.g.
 * 'unexpected JWT "aud" (audience) claim value'): messages and codes only, never the
 * claims' values or a token.
 */
function whyOf(cause: unknown): { cause?: string; code?: string; detail?: string } {
  if (!(cause instanceof Error)) return {}
  const inner = cause.cause instanceof Error ? cause.cause : undefined
  const code = (cause as { code?: unknown }).code
  return {
    cause: cause.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(inner ? { detail: inner.message } : {}),
  }
}
