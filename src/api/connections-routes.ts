import type { RequestHandler, Response } from 'express'
import { z } from 'zod'
import { AppError, ValidationError } from '../errors/app-error.js'
import { parseInput } from '../http/validate.js'
import { checkScope, earlyRead, principalOf, type EarlyRead } from './authenticate.js'
import {
  connectionIdOf,
  describe,
  refOfId,
  type ApiConnectionRef,
  type ConnectionDirectory,
  type ListPosition,
} from './directory.js'
import { ConnectionList, ListQuery, Connection as ConnectionSchema } from './schemas.js'
import { isMemberOf, refOf } from '../connections/member.js'
import {
  admitFresh,
  readConnectionBody,
  ReadQuery,
  withLastReads,
  type KeptConnectionDeps,
} from './kept-connection.js'
import { sendJsonText } from './json-text.js'

export type ConnectionsRoutesDeps = KeptConnectionDeps

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

const keptBodyOf = (ref: ApiConnectionRef) => `kept body ${ref.tenantId} ${ref.userId} ${ref.provider}`
/**
 * For `authenticate` on the chain of `GET /connections/:id`: a plain read takes the kept
 * answer beside the rate limit (one round trip for the whole call); a fresh read reads nothing.
 */
export function keptBodyEarly(kept: Pick<KeptConnectionDeps['kept'], 'keptBody'>): EarlyRead {
  return (req, principal) => {
    const id = req.params.id
    if (typeof id !== 'string' || req.query.fresh !== undefined) return undefined
    const ref = refOfId(principal.tenantId, id)
    return ref ? { key: keptBodyOf(ref), read: kept.keptBody(ref) } : undefined
  }
}

/**
 * `GET /api/v1/connections/:id`, for keys with the `read` scope: the most called read, on a
 * chain of its own (api/routes.ts `oneConnectionChain`).
 */
export function readOneConnection(deps: ConnectionsRoutesDeps): RequestHandler {
  return async (req, res) => {
    const fresh = parseInput(ReadQuery, req.query).fresh === 'true'
    const id = String(req.params.id)
    const ref = refOfId(principalOf(res).tenantId, id)
    if (!ref) throw notFound()
    // A kept answer exists only for a connection of this tenant: it answers in one round trip,
    // the one the rate limit takes when authenticate started it (keptBodyEarly).
    const kept = fresh
      ? undefined
      : await (earlyRead<string | undefined>(res, keptBodyOf(ref)) ?? deps.kept.keptBody(ref))
    if (kept === undefined) await connectionInTenant(deps.directory, res, id)
    checkScope(res, 'read')
    if (fresh) await admitFresh(deps.kept, ref, (s) => res.setHeader('Retry-After', String(s)))
    const body = kept ?? (await readConnectionBody(deps, ref, fresh))
    sendJsonText(res, body)
  }
}

/**
 * One page of the tenant's connections, oldest first, with the last balance read: the
 * answer of `GET /connections` and of the MCP tool `list_connections`.
 */
export async function listConnections(
  deps: KeptConnectionDeps,
  tenantId: string,
  query: z.infer<typeof ListQuery>,
): Promise<z.infer<typeof ConnectionList>> {
  const { directory } = deps
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
  return ConnectionList.parse({ data: await withLastReads(deps, tenantId, data), next_cursor: next })
}

/** A cursor only when something follows, so the last page says null. */
async function peek(dir: ConnectionDirectory, tenantId: string, p: ListPosition): Promise<string | null> {
  const more = await dir.after(tenantId, p, 1)
  return more.length > 0 ? encodeCursor(p) : null
}
