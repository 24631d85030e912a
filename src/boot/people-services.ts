import type { Config } from '../config/config.js'
import type { Logger } from '../logging/logger.js'
import type { RedisClient } from '../redis/client.js'
import { InvitationStore } from '../auth/invitation-store.js'
import { LoginLimiter, type LoginLimits } from '../auth/login-limiter.js'
import { PasswordService } from '../auth/password-service.js'
import { ResetTokens } from '../auth/reset-tokens.js'
import type { SessionIndex } from '../auth/session-index.js'
import type { UserStore } from '../auth/user-store.js'
import { Mailer, type MailTransport } from '../mail/mailer.js'
import { MailOutbox } from '../mail/outbox.js'
import { smtpTransport } from '../mail/smtp-transport.js'

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

/**
 * Where mail goes: SMTP_URL when set; else the sandbox's outbox when the sandbox is on
 * (dev); else nowhere (production without SMTP: admins pass invitation links on).
 */
function pickTransport(
  config: Config,
  redis: RedisClient,
): { transport?: MailTransport; outbox?: MailOutbox } {
  if (config.mail.smtpUrl) return { transport: smtpTransport(config.mail.smtpUrl) }
  if (!config.sandbox.enabled) return {}
  const outbox = new MailOutbox(redis)
  return { transport: outbox, outbox }
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
  const { transport, outbox } = pickTransport(config, redis)
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
