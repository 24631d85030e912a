import { Router, type Request, type Response } from 'express'
import type { TFunction } from 'i18next'
import { z } from 'zod'
import type { TenantStore } from '../tenants/tenant-store.js'
import { checkForm } from '../http/validate.js'
import { LANGUAGES, translator } from '../i18n/catalogue.js'
import { localeOf, tOf } from '../i18n/localize.js'
import { isTimeZone, TIME_ZONES } from '../i18n/format.js'
import { requireSignedIn, requireUser } from './current-user.js'
import type { PasswordService } from './password-service.js'
import { tooManyMessage } from './routes.js'
import type { ResetTokens } from './reset-tokens.js'
import { flash, regenerate } from './session.js'
import { ssoOnly, type SsoRule } from './sso-rule.js'
import type { UserStore } from './user-store.js'

export const newPassword = z
  .string()
  .min(10, 'auth:validation.passwordShort')
  .max(200, 'auth:validation.passwordTooLong')
const ForgotForm = z.object({
  email: z
    .string()
    .trim()
    .min(1, 'auth:validation.emailMissing')
    .max(254, 'auth:validation.emailLong')
    // The address's form only: whether an account has it is never told (issue 29).
    .pipe(z.email({ message: 'auth:validation.email' })),
})
const ResetForm = z.object({ password: newPassword })
const ChangeForm = z
  .object({
    currentPassword: z.string().min(1, 'auth:validation.currentMissing').max(200),
    newPassword,
  })
  // A "new" password that is the current one changes nothing but would end every other session.
  .refine((f) => f.newPassword !== f.currentPassword, {
    path: ['newPassword'],
    message: 'auth:passwordRules.sameAsCurrent',
  })
// An empty language means "as my browser asks"; an empty time zone means UTC.
/** The flash after the settings form: the language, the time zone, or both (issue 29). */
function preferencesSaved(
  before: { language?: string; timeZone?: string },
  after: { language: string; timeZone: string },
): string {
  const language = (before.language ?? '') !== after.language
  const zone = (before.timeZone ?? '') !== after.timeZone
  if (language && zone) return 'auth:preferences.bothSaved'
  if (zone) return 'auth:preferences.zoneSaved'
  if (language) return 'auth:account.saved'
  return 'auth:preferences.unchanged'
}

const LanguageForm = z.object({
  language: z.enum(['', ...LANGUAGES], { message: 'auth:validation.language' }),
  timeZone: z
    .string()
    .optional()
    .default('')
    .refine((v) => v === '' || isTimeZone(v), 'auth:validation.timeZone'),
})

export interface PasswordRoutesDeps {
  passwords: PasswordService
  resets: ResetTokens
  users: UserStore
  tenants: TenantStore
  /** Required single sign-on: those it binds get no reset link and set no password. */
  ssoRule?: SsoRule
}

/** `/forgot`, `/reset/:token` and `/account`: getting back in, and changing a password. */
export function passwordRoutes(deps: PasswordRoutesDeps): Router {
  const r = Router()
  const forgotPage = (res: Response, status: number, extra: object = {}) =>
    res.status(status).render('forgot', {
      title: (res.locals.t as TFunction)('auth:forgot.title'),
      errors: {},
      values: {},
      noMail: !deps.passwords.canMail,
      ...extra,
    })
  const resetPage = (res: Response, status: number, extra: object = {}) =>
    res.status(status).render('set-password', {
      title: (res.locals.t as TFunction)('auth:reset.title'),
      heading: (res.locals.t as TFunction)('auth:reset.title'),
      errors: {},
      ...extra,
    })

  r.get('/forgot', (_req, res) => forgotPage(res, 200))
  r.post('/forgot', async (req, res) => {
    const { t, lang } = localeOf(req)
    const form = checkForm(ForgotForm, req.body, t)
    const values = { email: typeof req.body?.email === 'string' ? req.body.email : '' }
    if (!form.ok) return forgotPage(res, 400, { errors: form.errors, values })
    const ip = req.ip ?? 'unknown'
    const asked = await deps.passwords.requestReset(ip, form.data.email, lang, async (user) => {
      const closed = await ssoOnly(deps.ssoRule, user)
      if (closed) await deps.ssoRule?.refused?.(user, 'reset', ip)
      return closed
    })
    if (asked.outcome === 'limited') {
      res.setHeader('Retry-After', String(asked.wait))
      const form = t('auth:forgot.tooMany', { count: Math.ceil(asked.wait / 60) })
      return forgotPage(res, 429, { errors: { form }, values })
    }
    forgotPage(res, 200, { sent: asked.outcome === 'sent', noMail: asked.outcome === 'no_mail', values })
  })

  // A link mailed before the organisation required single sign-on sets no password after.
  const ssoOnlyPage = (req: Request, res: Response) => {
    const t = tOf(req)
    res.status(403).render('message', {
      title: t('auth:reset.title'),
      heading: t('auth:reset.title'),
      text: t('signin:ssoOnly.reset'),
    })
  }
  r.get('/reset/:token', async (req, res) => {
    const owner = await deps.resets.peek(String(req.params.token))
    const user = owner && (await deps.users.get(owner.tenantId, owner.userId))
    if (user && (await ssoOnly(deps.ssoRule, user))) return ssoOnlyPage(req, res)
    resetPage(res, owner ? 200 : 404, { expired: !owner })
  })
  r.post('/reset/:token', async (req, res) => {
    const form = checkForm(ResetForm, req.body, tOf(req))
    if (!form.ok) return resetPage(res, 400, { errors: form.errors })
    const owner = await deps.resets.take(String(req.params.token))
    const user = owner && (await deps.users.get(owner.tenantId, owner.userId))
    if (!user) return resetPage(res, 404, { expired: true })
    if (await ssoOnly(deps.ssoRule, user)) {
      await deps.ssoRule?.refused?.(user, 'reset link', req.ip ?? 'unknown')
      return ssoOnlyPage(req, res)
    }
    await deps.passwords.reset(user, form.data.password)
    // This browser's session may have been one of those just ended: start a clean one.
    await regenerate(req)
    flash(req, 'info', tOf(req)('auth:reset.done'))
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
      title: tOf(req)('auth:account.title'),
      tenant: await deps.tenants.get(user.tenantId),
      timeZones: TIME_ZONES,
      errors: {},
      ...extra,
    })
  }
  r.get('/account', requireSignedIn, (req, res) => accountPage(req, res))
  r.post('/account', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    if (req.body?.language !== undefined && req.body?.newPassword === undefined) {
      const form = checkForm(LanguageForm, req.body, tOf(req))
      if (!form.ok) return accountPage(req, res, 400, { errors: form.errors })
      await deps.users.setPreferences(user.tenantId, user.id, form.data)
      // Said in the language just chosen, which the next page is in, naming what changed.
      const lang = form.data.language || localeOf(req).lang
      flash(req, 'info', translator(lang)(preferencesSaved(user, form.data)))
      return res.redirect(303, '/account')
    }
    const form = checkForm(ChangeForm, req.body, tOf(req))
    if (!form.ok) return accountPage(req, res, 400, { errors: form.errors })
    const { currentPassword, newPassword: next } = form.data
    const changed = await deps.passwords.change({
      user,
      ip: req.ip ?? 'unknown',
      keepSession: req.sessionID,
      current: currentPassword,
      next,
    })
    if (changed.outcome === 'limited') {
      res.setHeader('Retry-After', String(changed.retryAfterSec))
      return accountPage(req, res, 429, {
        errors: { currentPassword: tooManyMessage(tOf(req), changed.retryAfterSec) },
      })
    }
    if (changed.outcome === 'wrong')
      return accountPage(req, res, 400, {
        errors: { currentPassword: tOf(req)('auth:validation.currentWrong') },
      })
    // This session stays current; the others were signed in before the stamp.
    req.session.signedInAt = changed.at
    flash(req, 'info', tOf(req)('auth:account.changed'))
    res.redirect(303, '/account')
  })
  return r
}
