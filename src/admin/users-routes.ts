import { Router, type Request, type Response } from 'express'
import { z } from 'zod'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { tOf } from '../i18n/localize.js'
import { ROLES } from '../auth/user-store.js'
import { TooManyInvites } from '../auth/invite-limiter.js'
import { tooManyInvites } from './invitations-routes.js'
import { AppError } from '../errors/app-error.js'
import { checkForm, parseInput } from '../http/validate.js'
import { ssoOnly, type SsoRule } from '../auth/sso-rule.js'
import type { TenantStore } from '../tenants/tenant-store.js'
import type { RecordAdminAction } from './audit-trail.js'
import type { InvitationAdmin } from './invitation-admin.js'
import type { UserAdmin } from './user-admin.js'

const AddUserForm = z.object({
  email: z.email({ message: 'auth:validation.email' }).max(254),
  password: z.string().min(10, 'admin:users.passwordShort').max(200),
  role: z.enum(ROLES, { message: 'admin:users.pickRole' }),
})
const RoleForm = z.object({ role: z.enum(ROLES) })
const UserParam = z.object({ id: z.string().regex(/^[a-f0-9]{24}$/, 'unknown user') })
export const PAGE_SIZE = 50
const ListQuery = z.object({
  q: z.string().trim().toLowerCase().max(254).optional().default(''),
  role: z
    .union([z.enum(ROLES), z.literal('')])
    .optional()
    .default(''),
  page: z.coerce.number().int().min(1).max(1_000_000).optional().default(1),
})

export interface UsersRoutesDeps {
  userAdmin: UserAdmin
  invitations: InvitationAdmin
  tenants: TenantStore
  record: RecordAdminAction
  ssoRule?: SsoRule
}

/** `/admin/users`: the tenant's people, their roles, adding, unlocking and removing them. */
export function usersRoutes({ userAdmin, invitations, tenants, record, ssoRule }: UsersRoutesDeps): Router {
  const r = Router()
  const renderUsers = async (req: Request, res: Response, status = 200, extra: object = {}) => {
    const { tenantId } = requireUser(req)
    const query = parseInput(ListQuery, req.method === 'GET' ? req.query : {})
    const { users, total } = await userAdmin.page(tenantId, {
      search: query.q || undefined,
      role: query.role || undefined,
      offset: (query.page - 1) * PAGE_SIZE,
      limit: PAGE_SIZE,
    })
    res.status(status).render('admin-users', {
      title: tOf(req)('admin:users.title'),
      tenant: await tenants.get(tenantId),
      users,
      total,
      query,
      pageSize: PAGE_SIZE,
      pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
      invitations: await invitations.list(tenantId),
      // Said beside Add user: a password is no way in for these people (admins excepted).
      ssoDomains: (await ssoRule?.requiredDomains?.(tenantId)) ?? [],
      roles: ROLES,
      errors: {},
      values: {},
      ...extra,
    })
  }

  r.get('/admin/users', (req, res) => renderUsers(req, res))

  r.post('/admin/users', async (req, res) => {
    const t = tOf(req)
    const form = checkForm(AddUserForm, req.body, t)
    const values = { email: req.body?.email, role: req.body?.role }
    if (!form.ok) return renderUsers(req, res, 400, { errors: form.errors, values })
    // Required single sign-on: such a password could never be used, so none is set; an
    // invitation brings them in with the role, through single sign-on.
    if (await ssoOnly(ssoRule, { ...form.data, tenantId: requireUser(req).tenantId })) {
      const password = t('admin:ssoPassword.refused', {
        domain: form.data.email.split('@').pop()!.toLowerCase(),
      })
      return renderUsers(req, res, 400, { errors: { password }, values })
    }
    try {
      const user = await userAdmin.add(requireUser(req), form.data)
      await record(req, 'admin.user_added', `added ${user.email} as ${user.role}`)
      flash(
        req,
        'info',
        t('admin:users.added_flash', { email: user.email, role: t(`layout.role.${user.role}`) }),
      )
      res.redirect(303, '/admin/users')
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict')
        return renderUsers(req, res, 409, { errors: { email: t('admin:users.exists') }, values })
      if (!(err instanceof TooManyInvites)) throw err
      res.setHeader('Retry-After', String(err.refusal.retryAfterSec))
      return renderUsers(req, res, 429, { errors: { form: tooManyInvites(t, err) }, values })
    }
  })

  r.post('/admin/users/:id/role', async (req, res) => {
    const { id } = parseInput(UserParam, req.params)
    const { role } = parseInput(RoleForm, req.body)
    const user = await userAdmin.setRole(requireUser(req), id, role)
    await record(req, 'admin.role_changed', `${user.email} is now ${role}`)
    flash(
      req,
      'info',
      tOf(req)('admin:users.roleChanged', { email: user.email, role: tOf(req)(`layout.role.${role}`) }),
    )
    res.redirect(303, '/admin/users')
  })

  r.post('/admin/users/:id/unlock', async (req, res) => {
    const { id } = parseInput(UserParam, req.params)
    const user = await userAdmin.unlock(requireUser(req), id)
    await record(req, 'admin.user_unlocked', `cleared the sign-in locks of ${user.email}`)
    flash(req, 'info', tOf(req)('admin:users.unlocked', { email: user.email }))
    res.redirect(303, '/admin/users')
  })

  r.post('/admin/users/:id/remove', async (req, res) => {
    const { id } = parseInput(UserParam, req.params)
    const user = await userAdmin.remove(requireUser(req), id)
    await record(req, 'admin.user_removed', `removed ${user.email} with their connections and sessions`)
    flash(req, 'info', tOf(req)('admin:users.removed', { email: user.email }))
    res.redirect(303, '/admin/users')
  })
  return r
}
