import { Router, type Request } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { ROLES } from '../auth/user-store.js'
import { AppError } from '../errors.js'
import { checkForm, parseInput } from '../http/validate.js'
import type { RecordAdminAction } from './audit-trail.js'
import type { InvitationAdmin, Sent } from './invitation-admin.js'

const InviteForm = z.object({
  email: z.email({ message: 'Enter a valid email address.' }).max(254),
  role: z.enum(ROLES, { message: 'Pick a role.' }),
})
const InviteParam = z.object({ id: z.string().regex(/^[a-f0-9]{16}$/, 'unknown invitation') })

export interface InvitationsRoutesDeps {
  invitations: InvitationAdmin
  record: RecordAdminAction
}

/** Says where the link went: mailed, or shown here for the admin to pass on. */
function tell(req: Request, { invitation, link, mailFailed }: Sent, verb: string): void {
  if (!link) return flash(req, 'info', `Invitation ${verb} to ${invitation.email} (${invitation.role}).`)
  const why = mailFailed ? 'The mail could not be sent' : 'This Switchboard sends no mail'
  flash(req, 'info', `${why}: pass this link to ${invitation.email} yourself (7 days, once): ${link}`)
}

/** `/admin/users/invite` and the pending invitations' Resend and Cancel. */
export function invitationsRoutes({ invitations, record }: InvitationsRoutesDeps): Router {
  const r = Router()

  r.post('/admin/users/invite', async (req, res) => {
    const form = checkForm(InviteForm, req.body)
    if (!form.ok) {
      flash(req, 'error', `Not sent: ${Object.values(form.errors).join(' ')}`)
      return res.redirect(303, '/admin/users')
    }
    try {
      const sent = await invitations.invite(requireUser(req), form.data.email, form.data.role)
      await record(req, 'admin.user_invited', `invited ${sent.invitation.email} as ${sent.invitation.role}`)
      tell(req, sent, 'sent')
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'conflict')) throw err
      flash(req, 'error', `Not sent: ${err.message}`)
    }
    res.redirect(303, '/admin/users')
  })

  r.post('/admin/users/invites/:id/resend', async (req, res) => {
    const { id } = parseInput(InviteParam, req.params)
    const sent = await invitations.resend(requireUser(req), id)
    await record(req, 'admin.user_invited', `sent the invitation of ${sent.invitation.email} again`)
    tell(req, sent, 'sent again')
    res.redirect(303, '/admin/users')
  })

  r.post('/admin/users/invites/:id/cancel', async (req, res) => {
    const { id } = parseInput(InviteParam, req.params)
    const cancelled = await invitations.cancel(requireUser(req), id)
    await record(req, 'admin.invitation_cancelled', `cancelled the invitation of ${cancelled.email}`)
    flash(req, 'info', `The invitation of ${cancelled.email} is cancelled; its link no longer works.`)
    res.redirect(303, '/admin/users')
  })
  return r
}
