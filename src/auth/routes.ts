import { Router, type Request, type Response } from 'express'
import type { TFunction } from 'i18next'
import { z } from 'zod'
import { displayText } from '../http/display-text.js'
import { AppError } from '../errors/app-error.js'
import { checkForm } from '../http/validate.js'
import { localeOf, switcherChoice, tOf } from '../i18n/localize.js'
import type { AccountService } from './account-service.js'
import { currentUser } from './current-user.js'
import type { LoginLimiter } from './login-limiter.js'
import type { KnownDevices } from './known-device.js'
import { signupExistsMail } from '../mail/messages.js'
import type { PasswordService } from './password-service.js'
import type { SessionIndex } from './session-index.js'
import type { SsoRule } from './sso-rule.js'
import { beginSession, destroySession, saveSession } from './session.js'
import type { User } from './user-store.js'

const email = z.email({ message: 'auth:validation.email' }).max(254, 'auth:validation.emailLong')

const SignupForm = z.object({
  organization: displayText(
    100,
    { short: 'auth:signup.orgShort', long: 'auth:signup.orgLong', chars: 'common:validation.displayChars' },
    2,
  ),
  email,
  password: z.string().min(10, 'auth:validation.passwordShort').max(200, 'auth:validation.passwordTooLong'),
})

const LoginForm = z.object({
  email: z.string().trim().max(254, 'auth:validation.emailLong').min(1, 'auth:validation.emailMissing'),
  password: z.string().min(1, 'auth:validation.passwordMissing').max(200, 'auth:validation.passwordLong'),
})

export interface SignInDeps {
  sessions?: SessionIndex
  accounts: AccountService
}

/**
 * Makes the request's session a signed-in one for `user` (a new session id, in the
 * person's session index, with when and from what browser, for /account's list).
 */
export async function establishSession(
  req: Request,
  user: User,
  deps: SignInDeps,
  via: 'password' | 'sso' = 'password',
): Promise<void> {
  await deps.accounts.adoptLanguage(user, switcherChoice(req))
  await beginSession(req, user)
  req.session.signedInVia = via
  req.session.agent = (req.get('user-agent') ?? '').slice(0, 200)
  await saveSession(req)
  await deps.sessions?.add(user.tenantId, user.id, req.sessionID)
}

export const homeOf = (user: User) => (user.role === 'support' ? '/support' : '/dashboard')

export async function signIn(
  req: Request,
  res: Response,
  user: User,
  deps: SignInDeps,
  via: 'password' | 'sso' = 'password',
): Promise<void> {
  const back = returnPath(req.session.returnTo)
  await establishSession(req, user, deps, via)
  res.redirect(303, back ?? homeOf(user))
}

/** Only our own reconnect links bring a person back after signing in: never an open redirect. */
function returnPath(path: string | undefined): string | undefined {
  return path && /^\/reconnect\/[A-Za-z0-9_-]{43}$/.test(path) ? path : undefined
}

/** A refusal in minutes (a lock on this network), or in seconds (the account's short interval). */
export function tooManyMessage(t: TFunction, retryAfterSec: number): string {
  return retryAfterSec < 60
    ? t('auth:login.busy', { count: retryAfterSec })
    : t('auth:login.tooMany', { count: Math.ceil(retryAfterSec / 60) })
}

/** What happens after a correct password (two-step, required single sign-on); by default, signed in. */
export type AfterPassword = (req: Request, res: Response, user: User) => Promise<void>

export function authRoutes(deps: {
  accounts: AccountService
  limiter: LoginLimiter
  sessions?: SessionIndex
  passwords: PasswordService
  /** False with SIGNUP=closed: the page says so and POST /signup is refused. */
  signupOpen: boolean
  baseUrl: string
  afterPassword?: AfterPassword
  /** Browsers that signed in to an account before; never held at its sign-in gate. */
  knownDevices?: KnownDevices
  /** Emails of a domain that requires single sign-on make no new organisation with a password. */
  ssoRule?: SsoRule
}): Router {
  const r = Router()
  const render = (res: Response, view: 'signup' | 'login', status: number, extra: object) =>
    res.status(status).render(view, {
      title: (res.locals.t as TFunction)(`auth:${view}.title`),
      errors: {},
      values: {},
      ...extra,
    })

  r.get('/', (req, res) => res.redirect(303, currentUser(req) ? '/dashboard' : '/login'))
  r.get('/signup', (_req, res) => render(res, 'signup', 200, {}))
  r.post('/signup', (_req, res, next) => (deps.signupOpen ? next() : render(res, 'signup', 403, {})))
  // After Log out the session is gone, so the page says it from the address (issue 16).
  r.get('/login', (req, res) => render(res, 'login', 200, { signedOut: req.query.signed_out === '1' }))

  r.post('/signup', async (req, res) => {
    const t = tOf(req)
    const form = checkForm(SignupForm, req.body, t)
    const values = { organization: req.body?.organization, email: req.body?.email }
    if (!form.ok) return render(res, 'signup', 400, { errors: form.errors, values })
    const ssoTenant = await deps.ssoRule?.requiredBy(form.data.email)
    if (ssoTenant) {
      await deps.ssoRule?.refused?.({ tenantId: ssoTenant, email: form.data.email }, 'sign-up', req.ip ?? '')
      return render(res, 'signup', 403, { errors: { form: t('signin:ssoOnly.signup') }, values })
    }
    const wait = await deps.limiter.consumeSignup(req.ip ?? 'unknown')
    if (wait > 0)
      return render(res, 'signup', 429, {
        errors: { form: t('auth:signup.tooMany', { count: wait }) },
        values,
      })
    try {
      const { user } = await deps.accounts.signUp(form.data)
      await signIn(req, res, user, deps)
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'conflict')) throw err
      // Only the address's owner learns that it has an account: by mail, not on this page.
      deps.passwords.deliverLater(signupExistsMail(form.data.email, deps.baseUrl, localeOf(req).lang))
      res.status(200).render('message', {
        title: t('auth:signup.checkInbox'),
        heading: t('auth:signup.checkInbox'),
        text: t('auth:signup.checkInboxText'),
      })
    }
  })

  r.post('/login', async (req, res) => {
    const t = tOf(req)
    const form = checkForm(LoginForm, req.body, t)
    const values = { email: typeof req.body?.email === 'string' ? req.body.email : '' }
    if (!form.ok) return render(res, 'login', 400, { errors: form.errors, values })
    const account = form.data.email.toLowerCase()
    // Counted before the password is checked, so parallel guesses cannot outrun the limit.
    const knownDevice = deps.knownDevices?.isKnown(req, account) ?? false
    const attempt = await deps.limiter.reserveLogin(req.ip ?? 'unknown', account, { knownDevice })
    if (!attempt.allowed) {
      res.setHeader('Retry-After', String(attempt.retryAfterSec))
      return render(res, 'login', 429, {
        // A reset unlocks the account (password-service): the way in that needs no waiting.
        errors: { form: `${tooManyMessage(t, attempt.retryAfterSec)} ${t('auth:lockReset.hint')}` },
        values,
      })
    }
    const user = await deps.accounts
      .checkCredentials(form.data.email, form.data.password)
      .catch(async (err: unknown) => {
        await attempt.abandoned().catch(() => undefined)
        throw err
      })
    if (!user) {
      return render(res, 'login', 401, {
        errors: { form: t('auth:login.mismatch') },
        values,
      })
    }
    await attempt.succeeded()
    deps.knownDevices?.remember(req, res, account)
    if (deps.afterPassword) return deps.afterPassword(req, res, user)
    await signIn(req, res, user, deps)
  })

  r.post('/logout', async (req, res) => {
    await destroySession(req)
    res.clearCookie('sb.sid', { path: '/' })
    res.redirect(303, '/login?signed_out=1')
  })
  return r
}
