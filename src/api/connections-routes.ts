import { Router, type Response } from 'express'
import { z } from 'zod'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { AppError, isAppError, ValidationError } from '../errors/app-error.js'
import { parseInput } from '../http/validate.js'
import { checkScope, principalOf, requireScope } from './authenticate.js'
import {
  connectionIdOf,
  describe,
  refOfId,
  type ApiConnectionRef,
  type ConnectionDirectory,
  type ListPosition,
} from './directory.js'
import { ConnectionList, ListQuery, Connection as ConnectionSchema, type ConnectionView } from './schemas.js'
import { isMemberOf, memberOf, refOf } from '../connections/member.js'

export interface ConnectionsRoutesDeps {
  directory: ConnectionDirectory
  lifecycle: ConnectionLifecycle
}

// A filtered page may be short; one request reads at most this many members looking for it.
const MAX_SCANNED = 1000
const Cursor = z.object({ a: z.number().int().min(0), m: z.string().min(1).max(200) })

function encodeCursor(p: ListPosition): string {
  return Buffer.from(JSON.stringify({ a: p.at, m: p.member })).toString('base64url')
}

function decodeCursor(cursor: string | undefined): ListPosition | undefined {
  if (!cursor) return undefined
  try {
    const c = Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')))
    return { at: c.a, member: c.m }
  } catch (err) {
    throw new ValidationError('`cursor` is not one this API gave out.', err)
  }
}

const notFound = () => new AppError('not_found', 'No such connection for this API key.', { status: 404 })

/**
 * The connection an id names, in the key's own tenant only: an id of another tenant, a
 * malformed one and a deleted one are the same 404, so ids cannot be probed across tenants.
 */
export async function connectionInTenant(
  directory: ConnectionDirectory,
  res: Response,
  id: string,
): Promise<ApiConnectionRef> {
  return findConnection(directory, principalOf(res).tenantId, id)
}

/** The same, for callers that know the tenant already (the MCP server). */
export async function findConnection(
  directory: ConnectionDirectory,
  tenantId: string,
  id: string,
): Promise<ApiConnectionRef> {
  const ref = refOfId(tenantId, id)
  if (!ref) throw notFound()
  const [summary] = await directory.summaries([ref])
  if (!summary) throw notFound()
  return ref
}

/** `GET /connections` and `GET /connections/:id`, for keys with the `read` scope. */
export function connectionsRoutes({ directory, lifecycle }: ConnectionsRoutesDeps): Router {
  const r = Router()

  r.get('/connections', requireScope('read'), async (req, res) => {
    const query = parseInput(ListQuery, req.query)
    res.json(await listConnections(directory, principalOf(res).tenantId, query))
  })

  r.get('/connections/:id', async (req, res) => {
    const ref = await connectionInTenant(directory, res, String(req.params.id))
    checkScope(res, 'read')
    res.json(await readConnection({ directory, lifecycle }, ref))
  })
  return r
}

/** A provider that is not answering is no error for a read: the last known data answers. */
function whileDegraded(err: unknown): null {
  if (isAppError(err) && err.code === 'provider_unavailable') return null
  throw err
}

/**
 * One page of the tenant's connections, oldest first, with the last balance read: the
 * answer of `GET /connections` and of the MCP tool `list_connections`.
 */
export async function listConnections(
  directory: ConnectionDirectory,
  tenantId: string,
  query: z.infer<typeof ListQuery>,
): Promise<z.infer<typeof ConnectionList>> {
  let position = decodeCursor(query.cursor)
  const data: z.infer<typeof ConnectionSchema>[] = []
  let scanned = 0
  let exhausted = false
  while (data.length < query.limit && scanned < MAX_SCANNED) {
    const want = query.limit - data.length
    const batch = await directory.after(tenantId, position, query.provider || query.status ? 100 : want)
    exhausted = batch.length === 0
    if (exhausted) break
    const candidates = batch.filter((p) => !query.provider || isMemberOf(p.member, query.provider))
    const found = await describe(
      directory,
      tenantId,
      candidates.map((p) => p.member),
    )
    const matching = found.filter((c) => !query.status || c.status === query.status)
    // Stop at the member that filled the page, so the next page starts right after it.
    const taken = matching.slice(0, want)
    data.push(...taken)
    const last = taken.length === want ? taken[want - 1] : undefined
    position = last
      ? batch.find((p) => connectionIdOf(refOf(tenantId, p.member)) === last.id)!
      : batch[batch.length - 1]
    scanned += batch.length
  }
  const next = exhausted || !position ? null : await peek(directory, tenantId, position)
  return ConnectionList.parse({ data, next_cursor: next })
}

/**
 * One connection of the caller's tenant with its balance read now, through the lifecycle's
 * refresh-safe path: `GET /connections/:id` and the MCP tool `get_balance`.
 */
export async function readConnection(
  { directory, lifecycle }: ConnectionsRoutesDeps,
  ref: ApiConnectionRef,
): Promise<ConnectionView> {
  const money = await lifecycle.use(ref, (ctx, provider) => provider.fetchBalance(ctx)).catch(whileDegraded)
  const [view] = await describe(directory, ref.tenantId, [memberOf(ref)])
  if (!view) throw notFound()
  // Degraded: answered at once with the last balance read (its `readAt` says when).
  const readAt = Date.now()
  if (money)
    await directory.remember?.(ref, { balance: money, company: view.account.company ?? undefined, readAt })
  const balance = money ? { ...money, readAt: new Date(readAt).toISOString() } : view.balance
  return ConnectionSchema.parse({ ...view, balance })
}

/** A cursor only when something follows, so the last page says null. */
async function peek(dir: ConnectionDirectory, tenantId: string, p: ListPosition): Promise<string | null> {
  const more = await dir.after(tenantId, p, 1)
  return more.length > 0 ? encodeCursor(p) : null
}
