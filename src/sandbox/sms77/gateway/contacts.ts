import { contactProperties, legacyContact, type Contact } from '../data/contacts.js'
import { GET_OR_POST, pathParam, type GatewayContext, type GatewayRoute } from './context.js'
import { sendJson, sendText } from './negotiate.js'

// The legacy contacts API's own return codes (sms77-client ContactsResponseCode).
const OK = '152'
const FAILED = '151'

function legacyAnswer(ctx: GatewayContext, code: string, id?: number): void {
  if (ctx.json)
    return sendJson(ctx.res, id === undefined ? { return: code } : { return: code, id: String(id) })
  sendText(ctx.res, id === undefined ? code : `${code}\n${id}`)
}

function legacyRead(ctx: GatewayContext): void {
  const id = ctx.params.id
  const rows = ctx.account.contacts.filter((c) => id === undefined || String(c.id) === id).map(legacyContact)
  if (ctx.json) return sendJson(ctx.res, rows)
  sendText(ctx.res, rows.map((r) => `"${r.ID}";"${r.Name}";"${r.Number}"`).join('\n'))
}

function legacyWrite(ctx: GatewayContext): void {
  const { nick, empfaenger, email, id } = ctx.params
  const existing = ctx.account.contacts.find((c) => String(c.id) === id)
  const props = contactProperties({ firstname: nick, mobile_number: empfaenger, email })
  if (existing) existing.properties = { ...existing.properties, ...props }
  const contact = existing ?? ctx.accounts.addContact(ctx.account, props)
  legacyAnswer(ctx, OK, contact.id)
}

function remove(ctx: GatewayContext, id: string | undefined): boolean {
  const index = ctx.account.contacts.findIndex((c) => String(c.id) === id)
  if (index >= 0) ctx.account.contacts.splice(index, 1)
  return index >= 0
}

/** Legacy `/contacts?action=read|write|del` (CSV or `[{ID,Name,Number}]`; codes 152 / 151). */
function legacyContacts(ctx: GatewayContext): void {
  if (ctx.params.action === 'read') return legacyRead(ctx)
  if (ctx.params.action === 'write') return legacyWrite(ctx)
  legacyAnswer(ctx, remove(ctx, ctx.params.id) ? OK : FAILED)
}

/** Current `GET /contacts?limit&offset&search`: `{data, pagingMetadata}`. */
function list(ctx: GatewayContext): void {
  const search = ctx.params.search?.toLowerCase()
  const all = ctx.account.contacts.filter(
    (c) => !search || Object.values(c.properties).some((v) => v?.toLowerCase().includes(search)),
  )
  const limit = Math.max(1, Math.min(Number(ctx.params.limit ?? 30) || 30, 200))
  const offset = Math.max(0, Number(ctx.params.offset ?? 0) || 0)
  const data = all.slice(offset, offset + limit)
  const pagingMetadata = {
    offset,
    count: data.length,
    total: all.length,
    limit,
    has_more: offset + limit < all.length,
  }
  sendJson(ctx.res, { data, pagingMetadata })
}

/** Known contact properties from the request, on top of `base` (PATCH keeps what is not sent). */
function propsFrom(ctx: GatewayContext, base: Contact['properties'] = {}): Contact['properties'] {
  const input: Record<string, string | undefined> = {}
  for (const [k, v] of Object.entries(base)) input[k] = v ?? undefined
  return contactProperties({ ...input, ...ctx.params })
}

function withContact(ctx: GatewayContext, use: (c: Contact) => void): void {
  const contact = ctx.account.contacts.find((c) => String(c.id) === pathParam(ctx, 'id'))
  if (contact) use(contact)
  else ctx.res.status(404).json({ success: false, error: 'Contact not found' })
}

export const contactsRoutes: GatewayRoute[] = [
  {
    methods: GET_OR_POST,
    path: '/contacts',
    scope: 'contacts',
    handler: (ctx) => {
      if (ctx.params.action !== undefined) return legacyContacts(ctx)
      if (ctx.req.method === 'GET') return list(ctx)
      sendJson(ctx.res, ctx.accounts.addContact(ctx.account, propsFrom(ctx)))
    },
  },
  {
    methods: ['get'],
    path: '/contacts/:id',
    scope: 'contacts',
    handler: (ctx) => withContact(ctx, (c) => sendJson(ctx.res, c)),
  },
  {
    methods: ['patch'],
    path: '/contacts/:id',
    scope: 'contacts',
    handler: (ctx) =>
      withContact(ctx, (c) => {
        c.properties = propsFrom(ctx, c.properties)
        sendJson(ctx.res, c)
      }),
  },
  {
    methods: ['delete'],
    path: '/contacts/:id',
    scope: 'contacts',
    handler: (ctx) => sendJson(ctx.res, { success: remove(ctx, pathParam(ctx, 'id')) }),
  },
]
