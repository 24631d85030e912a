import type { Mailer, MailMessage } from '../mail/mailer.js'
import { mailLanguage, resetMail, ssoOnlyResetMail } from '../mail/messages.js'
import type { Language } from '../i18n/catalogue.js'
import type { LoginLimiter } from './login-limiter.js'
import { hashPassword, verifyPassword } from './passwords.js'
import type { ResetTokens } from './reset-tokens.js'
import type { SessionIndex } from './session-index.js'
import { normaliseEmail, type User, type UserStore } from './user-store.js'

export interface PasswordServiceDeps {
  users: UserStore
  sessions: SessionIndex
  resets: ResetTokens
  limiter: LoginLimiter
  mailer: Mailer
  baseUrl: string
  /** Mail is sent after the answer, so its failure is only logged. */
  onMailFailed: (err: unknown) => void
}

export type PasswordChange =
  { outcome: 'changed'; at: number } | { outcome: 'wrong' } | { outcome: 'limited'; retryAfterSec: number }

export type ResetRequest = { outcome: 'sent' } | { outcome: 'limited'; wait: number } | { outcome: 'no_mail' }

/** Forgotten passwords, reset links and password changes: every way a password moves. */
export class PasswordService {
  constructor(private readonly deps: PasswordServiceDeps) {}

  get canMail(): boolean {
    return this.deps.mailer.canSend
  }

  /**
   * The same outcome whether or not the email has an account: the lookup and the mail
   * happen after the answer, so neither the page nor its timing tells them apart.
   */
  async requestReset(
    ip: string,
    rawEmail: string,
    lang?: Language,
    /** Whose only way in is single sign-on: they are told so by mail instead of getting a link. */
    ssoOnly: (user: User) => Promise<boolean> = async () => false,
  ): Promise<ResetRequest> {
    if (!this.deps.mailer.canSend) return { outcome: 'no_mail' }
    const email = normaliseEmail(rawEmail)
    const { wait, mail } = await this.deps.limiter.consumeForgot(ip, email)
    if (wait > 0) return { outcome: 'limited', wait }
    if (mail) void this.mailResetLink(email, ssoOnly, lang).catch(this.deps.onMailFailed)
    return { outcome: 'sent' }
  }

  /** Mails without waiting for the answer (the caller already answered). */
  deliverLater(message: MailMessage): void {
    void this.deps.mailer.send(message).catch(this.deps.onMailFailed)
  }

  /** Sets the password from a reset link (once): every session ends, every login lock clears. */
  async reset(user: User, password: string): Promise<void> {
    await this.deps.users.setPasswordHash(user.tenantId, user.id, await hashPassword(password))
    await this.deps.sessions.removeAll(user.tenantId, user.id)
    await this.deps.limiter.unlock(user.email)
  }

  /**
   * Changes a signed-in person's password; their other sessions end. A guess of the current
   * password is counted like a sign-in attempt (before it is checked, per account and
   * network), so a borrowed session cannot try passwords without limit. On success, the
   * moment sessions were ended from: the caller stamps `keepSession` with it, so it stays.
   */
  async change(input: {
    user: User
    ip: string
    keepSession: string
    current: string
    next: string
  }): Promise<PasswordChange> {
    const { user, ip, keepSession, current, next } = input
    const attempt = await this.deps.limiter.reserveLogin(ip, user.email)
    if (!attempt.allowed) return { outcome: 'limited', retryAfterSec: attempt.retryAfterSec }
    const checked = this.deps.users
      .passwordHash(user.tenantId, user.id)
      .then((hash) => verifyPassword(hash, current))
    const ok = await checked.catch(async (err: unknown) => {
      await attempt.abandoned().catch(() => undefined)
      throw err
    })
    if (!ok) return { outcome: 'wrong' }
    await attempt.succeeded()
    await this.deps.users.setPasswordHash(user.tenantId, user.id, await hashPassword(next))
    return {
      outcome: 'changed',
      at: await this.deps.sessions.removeOthers(user.tenantId, user.id, keepSession),
    }
  }

  private async mailResetLink(
    email: string,
    ssoOnly: (user: User) => Promise<boolean>,
    lang?: Language,
  ): Promise<void> {
    const found = await this.deps.users.findForLogin(email)
    if (!found) return
    const language = mailLanguage(found.user.language, lang)
    if (await ssoOnly(found.user)) {
      await this.deps.mailer.send(ssoOnlyResetMail(found.user.email, this.deps.baseUrl, language))
      return
    }
    const token = await this.deps.resets.issue({ tenantId: found.user.tenantId, userId: found.user.id })
    const link = `${this.deps.baseUrl}/reset/${token}`
    await this.deps.mailer.send(resetMail(found.user.email, link, language))
  }
}
