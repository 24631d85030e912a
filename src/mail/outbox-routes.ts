import { Router } from 'express'
import type { MailOutbox } from './outbox.js'
import { tOf } from '../i18n/localize.js'

/** `GET /sandbox/mail`: the outbox, newest first; mounted only when the sandbox is on. */
export function outboxRoutes(outbox: MailOutbox): Router {
  const r = Router()
  r.get('/sandbox/mail', async (req, res) => {
    res.render('mail-outbox', { title: tOf(req)('mail:outbox.title'), mails: await outbox.list() })
  })
  return r
}
