import { Router, type Response } from 'express'
import { z } from 'zod'
import type { TenantStore } from '../tenants/tenant-store.js'
import { checkForm } from '../http/validate.js'
import { requireSignedIn, requireUser } from './current-user.js'
import type { PasswordService } from './password-service.js'
import type { ResetTokens } from './reset-tokens.js'
import { flash, regenerate } from './session.js'
import type { UserStore } from './user-store.js'

export const newPassword = z
  .string()
  .min(10, 'Use at least 10 characters.')
  .max(200, 'Keep the password under 200 characters.')
const ForgotForm = z.object({
  email: z.string().trim().min(1, 'Enter your email.').max(254, 'That email is too long.'),
})
const ResetForm = z.object({ password: newPassword })
const ChangeForm = z.object({
  currentPassword: z.string().min(1, 'Enter your current password.').max(200),
  newPassword,
})
const LanguageForm = z.object({ language: z.enum(['en'], { message: 'Pick a language.' }) })

export interface PasswordRoutesDeps {
  passwords: PasswordService
  resets: ResetTokens
  users: UserStore
  tenants: TenantStore
}

/** `/forgot`, `/reset/:token` and `/account`: getting back in, and changing a password. */
export function passwordRoutes(deps: PasswordRoutesDeps): Router {
  const r = Router()
  const forgotPage = (res: Response, status: number, extra: object = {}) =>
    res.status(status).render('forgot', {
      title: 'Reset your password',
      errors: {},
      values: {},
      noMail: !deps.passwords.canMail,
      ...extra,
    })
  const resetPage = (res: Response, status: number, extra: object = {}) =>
    res.status(status).render('set-password', {
      title: 'Set a new password',
      heading: 'Set a new password',
      errors: {},
      ...extra,
    })

  r.get('/forgot', (_req, res) => forgotPage(res, 200))
  r.post('/forgot', async (req, res) => {
    const form = checkForm(ForgotForm, req.body)
    const values = { email: typeof req.body?.email === 'string' ? req.body.email : '' }
    if (!form.ok) return forgotPage(res, 400, { errors: form.errors, values })
    const asked = await deps.passwords.requestReset(req.ip ?? 'unknown', form.data.email)
    if (asked.outcome === 'limited') {
      res.setHeader('Retry-After', String(asked.wait))
      const form = `Too many reset requests from your network. Try again in ${Math.ceil(asked.wait / 60)} min.`
      return forgotPage(res, 429, { errors: { form }, values })
    }
    forgotPage(res, 200, { sent: asked.outcome === 'sent', noMail: asked.outcome === 'no_mail', values })
  })

  r.get('/reset/:token', async (req, res) => {
    const owner = await deps.resets.peek(String(req.params.token))
    resetPage(res, owner ? 200 : 404, { expired: !owner })
  })
  r.post('/reset/:token', async (req, res) => {
    const form = checkForm(ResetForm, req.body)
    if (!form.ok) return resetPage(res, 400, { errors: form.errors })
    const owner = await deps.resets.take(String(req.params.token))
    const user = owner && (await deps.users.get(owner.tenantId, owner.userId))
    if (!user) return resetPage(res, 404, { expired: true })
    await deps.passwords.reset(user, form.data.password)
    // This browser's session may have been one of those just ended: start a clean one.
    await regenerate(req)
    flash(req, 'info', 'Your password is set. Sign in with it.')
    res.redirect(303, '/login')
  })

  const accountPage = async (
    req: Parameters<typeof requireUser>[0],
    res: Response,
    status = 200,
    extra = {},
  ) => {
    const user = requireUser(req)
    res.status(status).render('account', {
      title: 'Your account',
      tenant: await deps.tenants.get(user.tenantId),
      languages: [{ code: 'en', label: 'English' }],
      errors: {},
      ...extra,
    })
  }
  r.get('/account', requireSignedIn, (req, res) => accountPage(req, res))
  r.post('/account', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    if (req.body?.language !== undefined && req.body?.newPassword === undefined) {
      const form = checkForm(LanguageForm, req.body)
      if (!form.ok) return accountPage(req, res, 400, { errors: form.errors })
      flash(req, 'info', 'Language saved.')
      return res.redirect(303, '/account')
    }
    const form = checkForm(ChangeForm, req.body)
    if (!form.ok) return accountPage(req, res, 400, { errors: form.errors })
    const { currentPassword, newPassword: next } = form.data
    if (!(await deps.passwords.change(user, req.sessionID, currentPassword, next)))
      return accountPage(req, res, 400, { errors: { currentPassword: 'That is not your current password.' } })
    flash(req, 'info', 'Password changed. Your other sessions have ended; this one stays signed in.')
    res.redirect(303, '/account')
  })
  return r
}
