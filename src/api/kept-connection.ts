import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import type { KeptAnswer, KeptRead } from '../connections/kept-read.js'
import { memberOf, refOf } from '../connections/member.js'
import { AppError, isAppError } from '../errors/app-error.js'
import { describe, refOfId, type ApiConnectionRef, type ConnectionDirectory } from './directory.js'
import { Connection as ConnectionSchema, type ConnectionView } from './schemas.js'

export interface KeptConnectionDeps {
  directory: ConnectionDirectory
  /** The one kept read of each connection (connections/kept-read.ts). */
  kept: KeptRead
}

/** `?fresh=true`: read the provider now (rate-limited per connection) instead of the kept read. */
export const ReadQuery = z
  .object({
    fresh: z
      .enum(['true', 'false'])
      .optional()
      .describe(
        '`true` reads the provider now instead of the kept read (at most 30 s old); once per connection per 10 s, else 429 with Retry-After.',
      ),
  })
  .passthrough()

const READ_TTL_MS = 30_000
// A listing waits this long for connections never read before, so they show a balance at once.
const FIRST_READ_WAIT_MS = 1_500
// A listing starts at most this many background reads of stale connections.
const REFRESH_PER_LIST = 20

const notFound = () => new AppError('not_found', 'No such connection for this API key.', { status: 404 })

/** A provider that is not answering is no error for a read: the last known data answers. */
function whileDegraded(err: unknown): null {
  if (isAppError(err) && err.code === 'provider_unavailable') return null
  throw err
}

/** 429 (the caller sets `Retry-After`) when this connection was read fresh moments ago. */
export async function admitFresh(
  kept: KeptRead,
  ref: ApiConnectionRef,
  retryAfter: (seconds: number) => void,
): Promise<void> {
  const waitMs = await kept.mayReadFresh(ref)
  if (waitMs <= 0) return
  retryAfter(Math.ceil(waitMs / 1000))
  throw new AppError('rate_limited', 'This connection was read fresh moments ago; retry later.', {
    status: 429,
  })
}

/**
 * The answer of `GET /connections/:id` as JSON text, when no kept answer was found
 * (`KeptRead.keptBody`, the route's one round trip) or a fresh read was admitted: the kept
 * read (one provider call for every reader on every instance), its answer kept beside it
 * for the next readers.
 */
export async function readConnectionBody(
  deps: KeptConnectionDeps,
  ref: ApiConnectionRef,
  fresh = false,
): Promise<string> {
  const { view, answer } = await readKept(deps, ref, fresh)
  const body = JSON.stringify(view)
  if (answer) await deps.kept.keepBody(ref, answer, body)
  return body
}

/** One connection with its balance at most 30 s old: the MCP tool `get_balance`. */
export async function readConnection(
  deps: KeptConnectionDeps,
  ref: ApiConnectionRef,
): Promise<ConnectionView> {
  return (await readKept(deps, ref, false)).view
}

async function readKept(
  { directory, kept }: KeptConnectionDeps,
  ref: ApiConnectionRef,
  fresh: boolean,
): Promise<{ view: ConnectionView; answer: KeptAnswer | null }> {
  const answer = await kept.read(ref, { fresh }).catch(whileDegraded)
  const [view] = await describe(directory, ref.tenantId, [memberOf(ref)])
  if (!view) throw notFound()
  // Degraded: answered at once with the last balance read (its `readAt` says when).
  if (!answer) return { view: ConnectionSchema.parse(view), answer }
  return { view: ConnectionSchema.parse(withRead(view, answer)), answer }
}

/** A connection's view with the balance and company of a read (`readAt`: when the provider answered). */
function withRead(view: ConnectionView, { profile, readAt }: KeptAnswer): ConnectionView {
  const balance = profile.balance
    ? { ...profile.balance, readAt: new Date(readAt).toISOString() }
    : view.balance
  return { ...view, account: { ...view.account, company: profile.company ?? view.account.company }, balance }
}

/**
 * A listing shows each connection's last known read; stale ones are read again in the
 * background (through the kept read, so never twice at once), and those never read are
 * waited for briefly so the first listing already has their balance.
 */
export async function withLastReads(
  { directory, kept }: KeptConnectionDeps,
  tenantId: string,
  views: ConnectionView[],
  now = Date.now(),
): Promise<ConnectionView[]> {
  const stale = views.filter((v) => readAgainAt(v) <= now)
  const members = new Map(views.map((v) => [v.id, memberOf(refOfId(tenantId, v.id)!)]))
  const answered = new Map<string, KeptAnswer>()
  const reads = stale.slice(0, REFRESH_PER_LIST).map((v) => {
    const work = kept.read(refOf(tenantId, members.get(v.id)!)).then(
      (answer) => void answered.set(v.id, answer),
      () => undefined,
    )
    return { view: v, work }
  })
  const unread = reads.filter((r) => !r.view.balance)
  if (unread.length === 0) return views
  await Promise.race([Promise.all(unread.map((r) => r.work)), sleep(FIRST_READ_WAIT_MS)])
  const fresh = await describe(
    directory,
    tenantId,
    unread.map((r) => members.get(r.view.id)!),
  )
  // The index may not have the read (its follow-up failed, or the read was kept before it):
  // the answer itself says it.
  const byId = new Map(fresh.map((v) => [v.id, v]))
  return views.map((v) => {
    const now = byId.get(v.id) ?? v
    const answer = answered.get(v.id)
    return now.balance || !answer || now.status === 'needs_reconnect' ? now : withRead(now, answer)
  })
}

/**
 * When a listed connection's balance is due to be read again: never for one that needs
 * reconnecting, at once for one never read, else 30 s after its read.
 */
function readAgainAt(v: ConnectionView): number {
  if (v.status === 'needs_reconnect') return Infinity
  return v.balance ? Date.parse(v.balance.readAt) + READ_TTL_MS : -Infinity
}

/**
 * Until when a listing of these views shows no balance `withLastReads` would read again
 * (each younger than 30 s); undefined when one is older or has none yet.
 */
export function listedFreshUntil(views: ConnectionView[], now = Date.now()): number | undefined {
  const until = Math.min(now + READ_TTL_MS, ...views.map(readAgainAt))
  return until > now ? until : undefined
}
