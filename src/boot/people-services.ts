import type { Config } from '../config/config.js'
import type { Logger } from '../logging/logger.js'
import type { RedisClient } from '../redis/client.js'
import { InvitationStore } from '../auth/invitation-store.js'
import { LoginLimiter, type LoginLimits } from '../auth/login-limiter.js'
import { PasswordService } from '../auth/password-service.js'
import { ResetTokens } from '../auth/reset-tokens.js'
import type { SessionIndex } from '../auth/session-index.js'
import type { UserStore } from '../auth/user-store.js'
import { Mailer } from '../mail/mailer.js'
import type { MailOutbox } from '../mail/outbox.js'
import { mailRoute } from '../mail/routing.js'

/** Mail, login limits, reset links and invitations: how people get in and get back in. */
export interface PeopleServices {
  limiter: LoginLimiter
  mailer: Mailer
  /** The sandbox's outbox, when mail goes there (SANDBOX on, SMTP_URL unset). */
  outbox?: MailOutbox
  resets: ResetTokens
  invitations: InvitationStore
  passwords: PasswordService
  onMailFailed: (err: unknown) => void
}

export function buildPeople(deps: {
  config: Config
  redis: RedisClient
  logger: Logger
  loginLimits?: LoginLimits
  users: UserStore
  sessions: SessionIndex
}): PeopleServices {
  const { config, redis, logger } = deps
  const { transport, outbox } = mailRoute(
    { smtpUrl: config.mail.smtpUrl, sandbox: config.sandbox.enabled },
    redis,
  )
  const mailer = new Mailer(transport, config.mail.from)
  const limiter = new LoginLimiter(redis, deps.loginLimits)
  const resets = new ResetTokens(redis)
  // The message only: an SMTP error carries no credentials, but its object holds the connection.
  const onMailFailed = (err: unknown) => logger.warn({ err: (err as Error)?.message }, 'mail not sent')
  const passwords = new PasswordService({
    users: deps.users,
    sessions: deps.sessions,
    resets,
    limiter,
    mailer,
    baseUrl: config.baseUrl,
    onMailFailed,
  })
  return { limiter, mailer, outbox, resets, invitations: new InvitationStore(redis), passwords, onMailFailed }
}
