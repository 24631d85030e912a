import type { RedisClient } from '../redis/client.js'
import type { MailTransport } from './mailer.js'
import { MailOutbox } from './outbox.js'
import { smtpTransport } from './smtp-transport.js'

/**
 * Where mail goes: SMTP_URL when set; else the sandbox's outbox when the sandbox is on
 * (dev); else nowhere (production without SMTP: admins pass invitation links on).
 * `outbox` is set when mail goes there, so the app can show it at /sandbox/mail.
 */
export function mailRoute(
  settings: { smtpUrl?: string; sandbox: boolean },
  redis: RedisClient,
): { transport?: MailTransport; outbox?: MailOutbox } {
  if (settings.smtpUrl) return { transport: smtpTransport(settings.smtpUrl) }
  if (!settings.sandbox) return {}
  const outbox = new MailOutbox(redis)
  return { transport: outbox, outbox }
}
