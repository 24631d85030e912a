import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { MAIL_OUTBOX_KEY } from '../redis/keys.js'
import type { MailMessage, MailTransport } from './mailer.js'

export interface OutboxMail extends MailMessage {
  id: string
  from: string
  at: number
}

const KEEP = 200

/**
 * The sandbox's built-in outbox: every mail the app sends in dev, kept in Redis (so all
 * instances share it), newest first, the last 200 only. Never used with SMTP_URL set.
 */
export class MailOutbox implements MailTransport {
  constructor(private readonly redis: RedisClient) {}

  async send(message: MailMessage & { from: string }): Promise<void> {
    const mail: OutboxMail = { ...message, id: randomBytes(6).toString('hex'), at: Date.now() }
    await this.redis
      .multi()
      .lpush(MAIL_OUTBOX_KEY, JSON.stringify(mail))
      .ltrim(MAIL_OUTBOX_KEY, 0, KEEP - 1)
      .exec()
  }

  async list(): Promise<OutboxMail[]> {
    const raw = await this.redis.lrange(MAIL_OUTBOX_KEY, 0, KEEP - 1)
    return raw.map((r) => JSON.parse(r) as OutboxMail)
  }
}
