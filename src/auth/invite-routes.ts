import { Router, type Request, type Response } from 'express'
import { z } from 'zod'
import { AppError } from '../errors/app-error.js'
import { checkForm } from '../http/validate.js'
import { tOf } from '../i18n/localize.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { InvitationStore } from './invitation-store.js'
import { newPassword } from './password-routes.js'
import { hashPassword } from './passwords.js'
import type { SessionIndex } from './session-index.js'
import { regenerate, saveSession } from './session.js'
import type { UserStore } from './user-store.js'

const AcceptForm = z.object({ password: newPassword })

export interface InviteRoutesDeps {
  invitations: InvitationStore
  users: UserStore
  tenants: TenantStore
  sessions: SessionIndex
}

/** `/invite/:token`: an invited person chooses a password and joins with the role given. */
export function inviteRoutes(deps: InviteRoutesDeps): Router {
  const r = Router()
  const page = async (
    req: Request,
    res: Response,
    status: number,
    tenantId: string | undefined,
    extra: object,
  ) => {
    const tenant = tenantId ? await deps.tenants.get(tenantId) : null
    const t = tOf(req)
    res.status(status).render('set-password', {
      title: t('auth:invite.title'),
      heading: tenant ? t('auth:invite.heading', { org: tenant.name }) : t('auth:invite.title'),
      expiredHint: t('auth:invite.expiredHint'),
      errors: {},
      ...extra,
    })
  }

  r.get('/invite/:token', async (req, res) => {
    const invitation = await deps.invitations.peek(String(req.params.token))
    if (!invitation) return page(req, res, 404, undefined, { expired: true })
    const t = tOf(req)
    const intro = t('auth:invite.intro', {
      email: invitation.email,
      role: t(`layout.role.${invitation.role}`),
    })
    await page(req, res, 200, invitation.tenantId, { intro })
  })

  r.post('/invite/:token', async (req, res) => {
    const form = checkForm(AcceptForm, req.body, tOf(req))
    if (!form.ok) return page(req, res, 400, undefined, { errors: form.errors })
    // Hashed before the link is used up, so a slow hash never spends it for nothing.
    const passwordHash = await hashPassword(form.data.password)
    const invitation = await deps.invitations.take(String(req.params.token))
    if (!invitation) return page(req, res, 404, undefined, { expired: true })
    const { tenantId, email, role } = invitation
    const user = await deps.users.create({ tenantId, email, passwordHash, role }).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'conflict')
        throw new AppError('conflict', tOf(req)('auth:invite.taken'), {
          status: 409,
          localized: true,
        })
      throw err
    })
    await regenerate(req)
    req.session.userId = user.id
    req.session.tenantId = user.tenantId
    await saveSession(req)
    await deps.sessions.add(user.tenantId, user.id, req.sessionID)
    res.redirect(303, user.role === 'support' ? '/support' : '/dashboard')
  })
  return r
}
