import { Router, type Request, type Response } from 'express'
import { z } from 'zod'
import { displayText } from '../http/display-text.js'
import { API_SCOPES, type ApiKeyStore } from '../api-keys/key-store.js'
import { requireUser } from '../auth/current-user.js'
import { flash } from '../auth/session.js'
import { tOf } from '../i18n/localize.js'
import { NotFoundError } from '../errors/app-error.js'
import { checkForm, parseInput } from '../http/validate.js'
import type { RecordAdminAction } from './audit-trail.js'

const scopeList = z
  .union([z.enum(API_SCOPES), z.array(z.enum(API_SCOPES))])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? [...new Set(v)] : [v]))
const CreateKeyForm = z.object({
  name: displayText(80, { short: 'admin:apiKeys.nameMissing', chars: 'common:validation.displayChars' }, 1),
  scopes: scopeList.refine((s) => s.length > 0, 'admin:apiKeys.scopesMissing'),
})
const KeyParam = z.object({ id: z.string().regex(/^[a-f0-9]{16}$/, 'unknown key') })

export interface ApiKeysRoutesDeps {
  apiKeys: ApiKeyStore
  record: RecordAdminAction
}

/**
 * `/admin/api-keys`: the tenant's keys for its own systems. A new key is shown once, on the
 * answer to the POST that made it (never put in the session or a redirect); only its
 * SHA-256 is kept.
 */
export function apiKeysRoutes({ apiKeys, record }: ApiKeysRoutesDeps): Router {
  const r = Router()
  const render = async (req: Request, res: Response, status = 200, extra: object = {}) => {
    res.status(status).render('admin-api-keys', {
      title: tOf(req)('admin:apiKeys.title'),
      keys: await apiKeys.list(requireUser(req).tenantId),
      scopes: API_SCOPES,
      created: null,
      errors: {},
      values: { name: '', scopes: [] },
      ...extra,
    })
  }

  r.get('/admin/api-keys', (req, res) => render(req, res))

  r.post('/admin/api-keys', async (req, res) => {
    const form = checkForm(CreateKeyForm, req.body, tOf(req))
    if (!form.ok) {
      const values = {
        name: String(req.body?.name ?? ''),
        scopes: scopeList.catch([]).parse(req.body?.scopes),
      }
      return render(req, res, 400, { errors: form.errors, values })
    }
    const admin = requireUser(req)
    const { key, info } = await apiKeys.create(admin.tenantId, { ...form.data, createdBy: admin.email })
    await record(req, 'admin.api_key_created', `created API key “${info.name}” (${info.scopes.join(', ')})`)
    res.setHeader('Cache-Control', 'no-store')
    await render(req, res, 200, { created: { key, info } })
  })

  r.post('/admin/api-keys/:id/revoke', async (req, res) => {
    const { id } = parseInput(KeyParam, req.params)
    const name = await apiKeys.revoke(requireUser(req).tenantId, id)
    if (name === null) throw new NotFoundError('No such API key.')
    await record(req, 'admin.api_key_revoked', `revoked API key “${name}”`)
    flash(req, 'info', tOf(req)('admin:apiKeys.revoked', { name }))
    res.redirect(303, '/admin/api-keys')
  })
  return r
}
