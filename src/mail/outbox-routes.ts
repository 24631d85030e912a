import { Router } from 'express'
import type { MailOutbox } from './outbox.js'

/** `GET /sandbox/mail`: the outbox, newest first; mounted only when the sandbox is on. */
export function outboxRoutes(outbox: MailOutbox): Router {
  const r = Router()
  r.get('/sandbox/mail', async (_req, res) => {
    res.render('mail-outbox', { title: 'Sandbox outbox', mails: await outbox.list() })
  })
  return r
}
