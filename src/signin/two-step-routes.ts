import { Router, type Request, type Response } from 'express'
import QRCode from 'qrcode'
import { z } from 'zod'
import { requireSignedIn, requireUser } from '../auth/current-user.js'
import type { LoginLimiter } from '../auth/login-limiter.js'
import { verifyPassword } from '../auth/passwords.js'
import { establishSession, homeOf, signIn, type SignInDeps } from '../auth/routes.js'
import { destroySession, flash } from '../auth/session.js'
import type { User, UserStore } from '../auth/user-store.js'
import { checkForm } from '../http/validate.js'
import { tOf } from '../i18n/localize.js'
import type { Audit } from './audit.js'
import { pendingOf, TWO_STEP_PATH } from './pending.js'
import type { PersonSessions } from './sessions.js'
import type { TwoStepStore } from './two-step-store.js'
import { otpauthUri } from './totp.js'

const CodeForm = z.object({
  code: z.string().trim().min(1, 'signin:twoStep.codeMissing').max(40, 'signin:twoStep.codeWrong'),
})
const TurnOffForm = CodeForm.extend({
  currentPassword: z.string().min(1, 'auth:validation.currentMissing').max(200),
})

export interface TwoStepRoutesDeps extends SignInDeps {
  twoStep: TwoStepStore
  users: UserStore
  limiter: LoginLimiter
  people: PersonSessions
  audit: Audit
  /** The name authenticator apps list the account under. */
  issuer: string
}

declare module 'express-session' {
  interface SessionData {
    /** The TOTP secret being set up in this session, sealed. */
    twoStepSetup?: string
  }
}

/** GET /login/two-step with no sign-in waiting for a code (expired, done, or never begun). */
function nothingWaiting(req: Request, res: Response): void {
  const t = tOf(req)
  res.status(200).render('message', {
    title: t('signin:twoStep.title'),
    heading: t('signin:twoStep.title'),
    text: t('signin:twoStep.nothingWaiting'),
  })
}

/** `/login/two-step` (the second step, or a required set-up) and `/account/two-step` (on, off). */
export function twoStepRoutes(deps: TwoStepRoutesDeps): Router {
  const r = Router()

  /** The secret being set up in this session (sealed in it), or a new one. */
  const setupSecret = async (req: Request, user: User) => {
    const sealed = req.session.twoStepSetup
    const open = sealed && (await deps.twoStep.openPending(user.tenantId, user.id, sealed))
    if (open) return open
    const fresh = await deps.twoStep.newPending(user.tenantId, user.id)
    req.session.twoStepSetup = fresh.sealed
    return fresh.secret
  }
  const enable = async (req: Request, user: User, code: string) => {
    const sealed = req.session.twoStepSetup
    const codes = sealed ? await deps.twoStep.enable(user.tenantId, user.id, sealed, code) : null
    if (codes) delete req.session.twoStepSetup
    return codes
  }

  const setupPage = async (req: Request, res: Response, user: User, status: number, extra: object = {}) => {
    const secret = await setupSecret(req, user)
    const uri = otpauthUri(secret, user.email, deps.issuer)
    res.status(status).render('two-step-setup', {
      title: tOf(req)('signin:setup.title'),
      action: req.path === TWO_STEP_PATH ? TWO_STEP_PATH : '/account/two-step',
      qr: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 1, width: 220 }),
      secret: secret.replace(/(.{4})/g, '$1 ').trim(),
      errors: {},
      ...extra,
    })
  }
  const codePage = (req: Request, res: Response, status: number, extra: object = {}) =>
    res.status(status).render('two-step', { title: tOf(req)('signin:twoStep.title'), errors: {}, ...extra })
  const recoveryPage = (req: Request, res: Response, codes: string[], next: string) =>
    res.status(200).render('recovery-codes', { title: tOf(req)('signin:recovery.title'), codes, next })

  /** The pending person, re-read (a removed person's half-signed-in session ends). */
  const pendingUser = async (req: Request) => {
    const p = pendingOf(req)
    const user = p && (await deps.users.get(p.tenantId, p.userId))
    return p && user ? { p, user } : undefined
  }

  r.get(TWO_STEP_PATH, async (req, res) => {
    const found = await pendingUser(req)
    if (!found) return nothingWaiting(req, res)
    if (found.p.need === 'setup') return setupPage(req, res, found.user, 200, { required: true })
    codePage(req, res, 200)
  })

  r.post(TWO_STEP_PATH, async (req, res) => {
    const found = await pendingUser(req)
    if (!found) return res.redirect(303, '/login')
    const { p, user } = found
    const t = tOf(req)
    const again = (status: number, errors: object) =>
      p.need === 'setup'
        ? setupPage(req, res, user, status, { errors, required: true })
        : codePage(req, res, status, { errors })
    const form = checkForm(CodeForm, req.body, t)
    if (!form.ok) return again(400, form.errors)
    // Wrong codes count exactly like wrong passwords, on the same counters.
    const attempt = await deps.limiter.reserveLogin(req.ip ?? 'unknown', user.email)
    if (!attempt.allowed) {
      res.setHeader('Retry-After', String(attempt.retryAfterSec))
      return again(429, { code: t('auth:login.tooMany', { count: Math.ceil(attempt.retryAfterSec / 60) }) })
    }
    if (p.need === 'setup') {
      const codes = await enable(req, user, form.data.code)
      if (!codes) {
        await deps.audit(req, user, 'signin.two_step_failed', 'during required set-up')
        return again(401, { code: t('signin:twoStep.codeWrong') })
      }
      await attempt.succeeded()
      await establishSession(req, user, deps)
      await deps.audit(req, user, 'signin.two_step_enabled', 'required by the organisation')
      return recoveryPage(req, res, codes, homeOf(user))
    }
    const used = await deps.twoStep.useCode(user.tenantId, user.id, form.data.code)
    if (!used) {
      await deps.audit(req, user, 'signin.two_step_failed')
      return again(401, { code: t('signin:twoStep.codeWrong') })
    }
    await attempt.succeeded()
    if (used === 'totp') {
      await deps.audit(req, user, 'signin.two_step_passed')
      return signIn(req, res, user, deps)
    }
    // A recovery code means the phone may be lost: every other session ends.
    await establishSession(req, user, deps)
    await deps.people.endOthers(req, user.tenantId, user.id)
    const left = await deps.twoStep.recoveryCodesLeft(user.tenantId, user.id)
    await deps.audit(req, user, 'signin.recovery_code_used', `${left} left, other sessions ended`)
    flash(req, 'info', t('signin:recovery.used', { count: left }))
    res.redirect(303, homeOf(user))
  })

  r.get('/account/two-step', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    if (await deps.twoStep.isEnabled(user.tenantId, user.id)) return res.redirect(303, '/account')
    await setupPage(req, res, user, 200)
  })

  r.post('/account/two-step', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    const t = tOf(req)
    if (await deps.twoStep.isEnabled(user.tenantId, user.id)) return res.redirect(303, '/account')
    const form = checkForm(CodeForm, req.body, t)
    if (!form.ok) return setupPage(req, res, user, 400, { errors: form.errors })
    const codes = await enable(req, user, form.data.code)
    if (!codes) return setupPage(req, res, user, 400, { errors: { code: t('signin:twoStep.codeWrong') } })
    await deps.audit(req, user, 'signin.two_step_enabled')
    recoveryPage(req, res, codes, '/account')
  })

  r.post('/account/two-step/off', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    const t = tOf(req)
    const form = checkForm(TurnOffForm, req.body, t)
    const refuse = (errors: object) => {
      flash(req, 'error', Object.values(errors).join(' '))
      res.redirect(303, '/account')
    }
    if (!form.ok) return refuse(form.errors)
    const hash = await deps.users.passwordHash(user.tenantId, user.id)
    if (!(await verifyPassword(hash, form.data.currentPassword)))
      return refuse({ currentPassword: t('auth:validation.currentWrong') })
    if (!(await deps.twoStep.useCode(user.tenantId, user.id, form.data.code))) {
      await deps.audit(req, user, 'signin.two_step_failed', 'turning two-step off')
      return refuse({ code: t('signin:twoStep.codeWrong') })
    }
    await deps.twoStep.disable(user.tenantId, user.id)
    await deps.people.endOthers(req, user.tenantId, user.id)
    await deps.audit(req, user, 'signin.two_step_disabled', 'other sessions ended')
    flash(req, 'info', t('signin:twoStep.turnedOff'))
    res.redirect(303, '/account')
  })

  r.post('/account/sessions/:handle/sign-out', requireSignedIn, async (req, res) => {
    const user = requireUser(req)
    const handle = String(req.params.handle)
    const current = (await deps.people.list(user.tenantId, user.id, req.sessionID)).find((s) => s.current)
    const ended = await deps.people.endOne(user.tenantId, user.id, handle)
    if (ended)
      await deps.audit(req, user, 'signin.session_ended', current?.handle === handle ? 'this one' : '')
    if (ended && current?.handle === handle) {
      await destroySession(req)
      res.clearCookie('sb.sid', { path: '/' })
      return res.redirect(303, '/login?signed_out=1')
    }
    flash(req, 'info', tOf(req)(ended ? 'signin:sessions.ended' : 'signin:sessions.gone'))
    res.redirect(303, '/account')
  })
  return r
}
