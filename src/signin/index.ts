import { Router, type RequestHandler } from 'express'
import type { AccountService } from '../auth/account-service.js'
import { requireSignedIn, requireUser } from '../auth/current-user.js'
import type { LoginLimiter } from '../auth/login-limiter.js'
import type { AfterPassword } from '../auth/routes.js'
import type { SessionIndex } from '../auth/session-index.js'
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
  /** Confines a half-signed-in session, and lets /login's form reach the issuers; after the session and user are loaded. */
  confine: RequestHandler[]
  router: Router
  twoStep: TwoStepStore
  sso: SsoStore
}

/** Two-step codes (and, with it, the /account sessions list) for staff sign-in. */
export function staffSignIn(deps: StaffSignInDeps): StaffSignIn {
  const box = new SecretBox(deps.ciphers)
  const twoStep = new TwoStepStore(deps.redis, box, deps.now)
  const people = new PersonSessions(deps.redis, deps.sessions)
  const audit = auditOf(deps.audit)
  const signInDeps = { accounts: deps.accounts, sessions: deps.sessions }
  const router = Router()
  // /account shows two-step and the person's sessions beside what passwordRoutes renders.
  router.use('/account', requireSignedIn, async (req, res, next) => {
    if (req.path !== '/') return next()
    const user = requireUser(req)
    const [on, recoveryLeft, activeSessions] = await Promise.all([
      twoStep.isEnabled(user.tenantId, user.id),
      twoStep.recoveryCodesLeft(user.tenantId, user.id),
      people.list(user.tenantId, user.id, req.sessionID),
    ])
    res.locals.twoStep = { on, recoveryLeft }
    res.locals.activeSessions = activeSessions
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
  const sso = new SsoStore(deps.redis, box)
  router.use(
    ssoRoutes({
      ...signInDeps,
      store: sso,
      client: new SsoClient(deps.now),
      users: deps.users,
      people,
      audit,
      baseUrl: deps.baseUrl,
      sandboxDefaults: deps.sandboxSso,
      onFailure: (reason, cause) =>
        deps.logger?.warn({ reason, cause: (cause as Error | undefined)?.message }, 'single sign-on refused'),
    }),
  )
  const ssoRequiredFor = async (user: { tenantId: string; email: string }) => {
    if (!domainOf(user.email) || (await sso.tenantForEmail(user.email)) !== user.tenantId) return false
    return (await sso.get(user.tenantId))?.required ?? false
  }
  const afterPassword = passwordGate({ ...signInDeps, twoStep, tenants: deps.tenants, audit, ssoRequiredFor })
  return {
    afterPassword,
    confine: [confineHalfSignedIn, allowIssuersInFormAction(sso)],
    router,
    twoStep,
    sso,
  }
}
