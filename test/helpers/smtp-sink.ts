import type { AddressInfo } from 'node:net'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface SunkMail {
  from: string
  to: string
  subject: string
  text: string
  html: string
}

/**
 * A real SMTP server on loopback (smtp-server) that keeps every mail it accepts, parsed
 * with mailparser: the app talks real SMTP to it through nodemailer, nothing is stubbed.
 * Requires AUTH (PLAIN/LOGIN, user `switchboard`, password `sink-password`) over plain
 * text on loopback, as a relay inside a private network would.
 */
export async function startSmtpSink(): Promise<{
  url: string
  mails: SunkMail[]
  /** Waits for the n-th mail (1-based) to `to`: the app may send after answering. */
  mailTo(to: string, n?: number, timeoutMs?: number): Promise<SunkMail>
  close(): Promise<void>
}> {
  const mails: SunkMail[] = []
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'switchboard' && auth.password === 'sink-password') return cb(null, { user: 1 })
      cb(new Error('bad credentials'))
    },
    onData(stream, _session, cb) {
      simpleParser(stream)
        .then((m) => {
          const to = Array.isArray(m.to) ? m.to[0] : m.to
          mails.push({
            from: m.from?.text ?? '',
            to: to?.value[0]?.address ?? '',
            subject: m.subject ?? '',
            text: m.text ?? '',
            html: typeof m.html === 'string' ? m.html : '',
          })
          cb()
        })
        .catch((err: Error) => cb(err))
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://switchboard:sink-password@127.0.0.1:${port}`,
    mails,
    async mailTo(to, n = 1, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        const found = mails.filter((m) => m.to === to)
        if (found.length >= n) return found[n - 1]!
        await new Promise((r) => setTimeout(r, 25))
      }
      throw new Error(`no mail to ${to} within ${timeoutMs} ms`)
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The first link under `path` in a mail's text part. */
export function linkIn(mail: SunkMail, path: '/reset/' | '/invite/' | '/forgot'): string {
  const m = new RegExp(`https?://\\S+?${path}\\S*`).exec(mail.text)
  if (!m) throw new Error(`no ${path} link in mail "${mail.subject}"`)
  return m[0]
}
