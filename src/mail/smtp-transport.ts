import nodemailer from 'nodemailer'
import type { MailTransport } from './mailer.js'

/** Mail over SMTP_URL (`smtp://` or `smtps://`, credentials in the URL) with nodemailer. */
export function smtpTransport(url: string): MailTransport {
  const transporter = nodemailer.createTransport(url, {})
  return {
    async send(message) {
      await transporter.sendMail(message)
    },
  }
}
