import type { Request, Response } from 'express'
import type { AfterPassword } from '../auth/routes.js'
import { signIn, type SignInDeps } from '../auth/routes.js'
import { ssoOnly, type SsoRule } from '../auth/sso-rule.js'
import type { User } from '../auth/user-store.js'
import { tOf } from '../i18n/localize.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { Audit } from './audit.js'
import { startPending, TWO_STEP_PATH } from './pending.js'
import type { TwoStepStore } from './two-step-store.js'

export interface GateDeps extends SignInDeps {
  twoStep: TwoStepStore
  tenants: TenantStore
  audit: Audit
  /** Which organisation requires single sign-on for an email's domain. */
  ssoRule: SsoRule
}

/**
 * After a correct password: refused when the organisation requires single sign-on for the
 * person's domain (admins excepted: their way back in); otherwise on to the code, or to
 * setting two-step up when the organisation requires it for admins and support; else in.
 */
export function passwordGate(deps: GateDeps): AfterPassword {
  return async (req: Request, res: Response, user: User) => {
    if (await ssoOnly(deps.ssoRule, user)) {
      await deps.audit(req, user, 'signin.password_refused_sso')
      const t = tOf(req)
      return void res.status(403).render('login', {
        title: t('auth:login.title'),
        errors: { form: t('signin:sso.passwordRefused') },
        values: { email: user.email },
      })
    }
    if (await deps.twoStep.isEnabled(user.tenantId, user.id)) {
      await startPending(req, user, 'code')
      return res.redirect(303, TWO_STEP_PATH)
    }
    if (user.role !== 'member' && (await deps.tenants.get(user.tenantId))?.requireTwoStep) {
      await startPending(req, user, 'setup')
      return res.redirect(303, TWO_STEP_PATH)
    }
    await signIn(req, res, user, deps)
  }
}
