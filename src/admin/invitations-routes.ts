import { Router, type Request } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { localeOf, tOf } from '../i18n/localize.js'
import { ROLES } from '../auth/user-store.js'
import { TooManyInvites } from '../auth/invite-limiter.js'
import { checkForm, parseInput } from '../http/validate.js'
import type { RecordAdminAction } from './audit-trail.js'
import type { InvitationAdmin, Sent } from './invitation-admin.js'

const InviteForm = z.object({
  email: z.email({ message: 'auth:validation.email' }).max(254),
  role: z.enum(ROLES, { message: 'admin:users.pickRole' }),
})
const InviteParam = z.object({ id: z.string().regex(/^[a-f0-9]{16}$/, 'unknown invitation') })

export interface InvitationsRoutesDeps {
  invitations: InvitationAdmin
  record: RecordAdminAction
}

/** Says where the link went: mailed, or shown here for the admin to pass on. */
function tell(req: Request, { invitation, link, mailFailed }: Sent, again: boolean): void {
  const t = tOf(req)
  const { email } = invitation
  if (!link)
    return flash(
      req,
      'info',
      t(again ? 'admin:invite.sentAgain' : 'admin:invite.sent', {
        email,
        role: t(`layout.role.${invitation.role}`),
      }),
    )
  flash(req, 'info', t(mailFailed ? 'admin:invite.mailFailed' : 'admin:invite.noMail', { email, link }))
}

/** Which limit refused, in the reader's language. */
export function tooManyInvites(t: ReturnType<typeof tOf>, err: TooManyInvites): string {
  const count = Math.ceil(err.refusal.retryAfterSec / 60)
  return t(
    err.refusal.by === 'admin' ? 'admin:invite.tooManyByAdmin' : 'admin:invite.tooManyByOrganisation',
    {
      count,
    },
  )
}

/** The admin, speaking the request's language: the invitation mail is written in it. */
const inviter = (req: Request) => ({ ...requireUser(req), language: localeOf(req).lang })

/** `/admin/users/invite` and the pending invitations' Resend and Cancel. */
export function invitationsRoutes({ invitations, record }: InvitationsRoutesDeps): Router {
  const r = Router()

  r.post('/admin/users/invite', async (req, res) => {
    const t = tOf(req)
    const form = checkForm(InviteForm, req.body, t)
    if (!form.ok) {
      flash(req, 'error', t('admin:notSent', { errors: Object.values(form.errors).join(' ') }))
      return res.redirect(303, '/admin/users')
    }
    try {
      const sent = await invitations.invite(inviter(req), form.data.email, form.data.role)
      await record(req, 'admin.user_invited', `invited ${sent.invitation.email} as ${sent.invitation.role}`)
      tell(req, sent, false)
      // Re-inviting replaces the pending invitation: a changed role is said, never silent.
      if (sent.roleWas)
        flash(
          req,
          'info',
          t('admin:inviteRole.changed', {
            email: sent.invitation.email,
            role: t(`layout.role.${sent.invitation.role}`),
            was: t(`layout.role.${sent.roleWas}`),
          }),
        )
    } catch (err) {
      if (!(err instanceof TooManyInvites)) throw err
      flash(req, 'error', t('admin:notSent', { errors: tooManyInvites(t, err) }))
    }
    res.redirect(303, '/admin/users')
  })

  r.post('/admin/users/invites/:id/resend', async (req, res) => {
    const { id } = parseInput(InviteParam, req.params)
    const sent = await invitations.resend(inviter(req), id).catch((err: unknown) => {
      if (err instanceof TooManyInvites) flash(req, 'error', tooManyInvites(tOf(req), err))
      else throw err
    })
    if (!sent) return res.redirect(303, '/admin/users')
    await record(req, 'admin.user_invited', `sent the invitation of ${sent.invitation.email} again`)
    tell(req, sent, true)
    res.redirect(303, '/admin/users')
  })

  r.post('/admin/users/invites/:id/cancel', async (req, res) => {
    const { id } = parseInput(InviteParam, req.params)
    const cancelled = await invitations.cancel(requireUser(req), id)
    await record(req, 'admin.invitation_cancelled', `cancelled the invitation of ${cancelled.email}`)
    flash(req, 'info', tOf(req)('admin:invite.cancelled', { email: cancelled.email }))
    res.redirect(303, '/admin/users')
  })
  return r
}
