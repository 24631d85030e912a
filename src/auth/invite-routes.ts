import { randomBytes } from 'node:crypto'
import { Router, type Request, type Response } from 'express'
import { z } from 'zod'
import { AppError } from '../errors/app-error.js'
import { checkForm } from '../http/validate.js'
import { tOf } from '../i18n/localize.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { Invitation, InvitationStore } from './invitation-store.js'
import { newPassword } from './password-routes.js'
import { hashPassword } from './passwords.js'
import type { AfterPassword } from './routes.js'
import { flash } from './session.js'
import { ssoOnly, type SsoRule } from './sso-rule.js'
import type { UserStore } from './user-store.js'

const AcceptForm = z.object({ password: newPassword })

export interface InviteRoutesDeps {
  invitations: InvitationStore
  users: UserStore
  tenants: TenantStore
  /**
   * As after a typed password: two-step set up first when the organisation requires it for
   * the role, else signed in.
   */
  afterPassword: AfterPassword
  /** Required single sign-on: people it binds join without a password and sign in through it. */
  ssoRule?: SsoRule
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
    const viaSso = await ssoOnly(deps.ssoRule, invitation)
    await page(req, res, 200, invitation.tenantId, { intro, ssoOnly: viaSso })
  })

  r.post('/invite/:token', async (req, res) => {
    const token = String(req.params.token)
    const peeked = await deps.invitations.peek(token)
    if (peeked && (await ssoOnly(deps.ssoRule, peeked))) return joinViaSso(req, res, token)
    const form = checkForm(AcceptForm, req.body, tOf(req))
    if (!form.ok) return page(req, res, 400, undefined, { errors: form.errors })
    // Hashed before the link is used up, so a slow hash never spends it for nothing.
    const passwordHash = await hashPassword(form.data.password)
    const invitation = await deps.invitations.take(token)
    if (!invitation) return page(req, res, 404, undefined, { expired: true })
    // Required single sign-on switched on between the peek and now: no password after all.
    if (await ssoOnly(deps.ssoRule, invitation)) return joined(req, res, invitation)
    const user = await create(req, { ...invitation, passwordHash })
    await deps.afterPassword(req, res, user)
  })

  /** Joins with a password nobody knows; the identity provider signs the person in. */
  async function joinViaSso(req: Request, res: Response, token: string) {
    const invitation = await deps.invitations.take(token)
    if (!invitation) return page(req, res, 404, undefined, { expired: true })
    await joined(req, res, invitation)
  }
  async function joined(req: Request, res: Response, invitation: Invitation) {
    const passwordHash = await hashPassword(randomBytes(32).toString('base64url'))
    const user = await create(req, { ...invitation, passwordHash })
    await deps.ssoRule?.refused?.(user, 'invitation', req.ip ?? 'unknown')
    const org = (await deps.tenants.get(invitation.tenantId))?.name ?? ''
    flash(req, 'info', tOf(req)('signin:ssoOnly.joined', { org }))
    res.redirect(303, '/login')
  }

  const create = (req: Request, input: Invitation & { passwordHash: string }) => {
    const { tenantId, email, passwordHash, role } = input
    return deps.users.create({ tenantId, email, passwordHash, role }).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'conflict')
        throw new AppError('conflict', tOf(req)('auth:invite.taken'), {
          status: 409,
          localized: true,
        })
      throw err
    })
  }
  return r
}
