import { z } from 'zod'

/**
 * Mail and sign-up settings, part of config.ts's one parse of the environment (kept here
 * so config.ts stays small). Reads no environment itself: config.ts passes it in.
 */
export const MailEnvSchema = {
  SMTP_URL: z
    .url({ protocol: /^smtps?$/, message: 'expected smtp:// or smtps:// URL (credentials in it)' })
    .optional(),
  MAIL_FROM: z.string().trim().min(3).max(200).optional(),
  SIGNUP: z.enum(['open', 'closed'], { message: 'expected open or closed' }).default('open'),
}

export interface MailConfig {
  /** Where mail goes; unset means the sandbox outbox (dev) or no mail at all (production). */
  smtpUrl?: string
  from: string
}

export function mailConfig(e: { SMTP_URL?: string; MAIL_FROM?: string }, baseUrl: string): MailConfig {
  const host = new URL(baseUrl).hostname
  return { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM ?? `Switchboard <no-reply@${host}>` }
}

export function noSmtpWarning(sandbox: boolean, sandboxBase: string): string {
  return sandbox
    ? `SMTP_URL is not set: mail goes to the sandbox outbox at ${sandboxBase}/mail`
    : 'SMTP_URL is not set: no mail is sent; admins pass invitation links on themselves'
}
