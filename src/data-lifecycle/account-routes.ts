import { Router, type Request } from 'express'
import { z } from 'zod'
import { requireSignedIn, requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { verifyPassword } from '../auth/passwords.js'
import type { LoginLimiter } from '../auth/login-limiter.js'
import { localeOf } from '../i18n/localize.js'
import type { EmailChange } from './email-change.js'
import { myData, type MyDataDeps } from './my-data.js'
import { deleteAccount, ssoDeletionRoutes, type AccountDeletionDeps } from './account-deletion.js'

export interface AccountDataDeps extends MyDataDeps, AccountDeletionDeps {
  emailChange: EmailChange
  people: { limiter: LoginLimiter }
}

const EmailForm = z.object({
  newEmail: z.email().max(254),
  currentPassword: z.string().min(1).max(200),
})
const PasswordForm = z.object({ currentPassword: z.string().min(1).max(200) })

/** `/account`'s own-data actions: Download my data, Change email, Delete my account. */
export function accountDataRoutes(deps: AccountDataDeps): Router {
  const r = Router()
  // A guess of the current password counts like a sign-in attempt (as a password change does).
  const passwordOk = async (req: Request, given: string) => {
    const user = requireUser(req)
    const attempt = await deps.people.limiter.reserveLogin(req.ip ?? '', user.email)
    if (!attempt.allowed) return false
    const ok = await verifyPassword(await deps.users.passwordHash(user.tenantId, user.id), given)
    if (ok) await attempt.succeeded()
    return ok
  }

  r.get('/account/my-data.json', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    res.set('content-disposition', 'attachment; filename="switchboard-my-data.json"')
    res.type('application/json').send(JSON.stringify(await myData(deps, user), null, 2))
  })

  r.post('/account/email', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    const { t, lang } = localeOf(req)
    const form = EmailForm.safeParse(req.body)
    if (!form.success) {
      flash(req, 'error', t('auth:validation.email'))
      return res.redirect(303, '/account')
    }
    if (!(await passwordOk(req, form.data.currentPassword))) {
      flash(req, 'error', t('data:account.passwordWrong'))
      return res.redirect(303, '/account')
    }
    const outcome = await deps.emailChange.request(user, form.data.newEmail, lang)
    if (outcome === 'sent') flash(req, 'info', t('data:account.emailSent', { email: form.data.newEmail }))
    else flash(req, 'error', t(outcome === 'same' ? 'data:account.emailSame' : 'data:account.emailTaken'))
    res.redirect(303, '/account')
  })

  r.get('/account/email/confirm/:token', async (req, res) => {
    const { t } = localeOf(req)
    const live = await deps.emailChange.pending(String(req.params.token))
    res.status(live ? 200 : 404).render('confirm-email', {
      title: t('data:account.emailHeading'),
      live,
      token: String(req.params.token),
    })
  })

  r.post('/account/email/confirm/:token', async (req, res) => {
    const { t } = localeOf(req)
    const email = await deps.emailChange.confirm(String(req.params.token))
    if (!email)
      return res
        .status(404)
        .render('confirm-email', { title: t('data:account.emailHeading'), live: false, token: '' })
    flash(req, 'info', t('data:account.emailConfirmed', { email }))
    res.redirect(303, '/account')
  })

  r.post('/account/delete', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    const { t } = localeOf(req)
    // Required single sign-on accepts no password: such a person confirms at the identity provider.
    if ((await deps.reauth?.way(user)) === 'sso') {
      flash(req, 'error', t('data:reauth.passwordClosed'))
      return res.redirect(303, '/account')
    }
    const form = PasswordForm.safeParse(req.body)
    if (!form.success || !(await passwordOk(req, form.data.currentPassword))) {
      flash(req, 'error', t('data:account.passwordWrong'))
      return res.redirect(303, '/account')
    }
    await deleteAccount(deps, req, res, user, 'password')
  })
  r.use(ssoDeletionRoutes(deps))
  return r
}
