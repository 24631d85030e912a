import { Router, type Request, type Response } from 'express'
import { z } from 'zod'
import { AppError } from '../errors.js'
import { checkForm } from '../http/validate.js'
import type { AccountService } from './account-service.js'
import { currentUser } from './current-user.js'
import type { LoginLimiter } from './login-limiter.js'
import { signupExistsMail } from '../mail/messages.js'
import type { PasswordService } from './password-service.js'
import type { SessionIndex } from './session-index.js'
import { destroySession, regenerate, saveSession } from './session.js'
import type { User } from './user-store.js'

const email = z.email({ message: 'Enter a valid email address.' }).max(254, 'That email is too long.')

const SignupForm = z.object({
  organization: z
    .string()
    .trim()
    .min(2, 'Enter your organisation’s name (2 characters or more).')
    .max(100, 'Keep the name under 100 characters.'),
  email,
  password: z
    .string()
    .min(10, 'Use at least 10 characters.')
    .max(200, 'Keep the password under 200 characters.'),
})

const LoginForm = z.object({
  email: z.string().trim().max(254, 'That email is too long.').min(1, 'Enter your email.'),
  password: z.string().min(1, 'Enter your password.').max(200, 'That password is too long.'),
})

async function signIn(req: Request, res: Response, user: User, sessions?: SessionIndex): Promise<void> {
  await regenerate(req)
  req.session.userId = user.id
  req.session.tenantId = user.tenantId
  await saveSession(req)
  await sessions?.add(user.tenantId, user.id, req.sessionID)
  res.redirect(303, user.role === 'support' ? '/support' : '/dashboard')
}

export function authRoutes(deps: {
  accounts: AccountService
  limiter: LoginLimiter
  sessions?: SessionIndex
  passwords: PasswordService
  /** False with SIGNUP=closed: the page says so and POST /signup is refused. */
  signupOpen: boolean
  baseUrl: string
}): Router {
  const r = Router()
  const render = (res: Response, view: 'signup' | 'login', status: number, extra: object) =>
    res.status(status).render(view, {
      title: view === 'signup' ? 'Create your organisation' : 'Sign in',
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
    const form = checkForm(SignupForm, req.body)
    const values = { organization: req.body?.organization, email: req.body?.email }
    if (!form.ok) return render(res, 'signup', 400, { errors: form.errors, values })
    const wait = await deps.limiter.consumeSignup(req.ip ?? 'unknown')
    if (wait > 0)
      return render(res, 'signup', 429, {
        errors: { form: `Too many sign-ups from your network. Try again in ${wait} s.` },
        values,
      })
    try {
      const { user } = await deps.accounts.signUp(form.data)
      await signIn(req, res, user, deps.sessions)
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'conflict')) throw err
      // Only the address's owner learns that it has an account: by mail, not on this page.
      deps.passwords.deliverLater(signupExistsMail(form.data.email, deps.baseUrl))
      res.status(200).render('message', {
        title: 'Check your inbox',
        heading: 'Check your inbox',
        text: 'We have sent a message to that address with the next step.',
      })
    }
  })

  r.post('/login', async (req, res) => {
    const form = checkForm(LoginForm, req.body)
    const values = { email: typeof req.body?.email === 'string' ? req.body.email : '' }
    if (!form.ok) return render(res, 'login', 400, { errors: form.errors, values })
    const account = form.data.email.toLowerCase()
    // Counted before the password is checked, so parallel guesses cannot outrun the limit.
    const attempt = await deps.limiter.reserveLogin(req.ip ?? 'unknown', account)
    if (!attempt.allowed) {
      res.setHeader('Retry-After', String(attempt.retryAfterSec))
      return render(res, 'login', 429, {
        errors: {
          form: `Too many failed attempts. Try again in ${Math.ceil(attempt.retryAfterSec / 60)} min.`,
        },
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
        errors: { form: 'That email and password do not match an account.' },
        values,
      })
    }
    await attempt.succeeded()
    await signIn(req, res, user, deps.sessions)
  })

  r.post('/logout', async (req, res) => {
    await destroySession(req)
    res.clearCookie('sb.sid', { path: '/' })
    res.redirect(303, '/login?signed_out=1')
  })
  return r
}
