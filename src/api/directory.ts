import { PROVIDER_IDS, type Money, type ProviderId } from '../providers/types.js'
import type { ConnectionView } from './schemas.js'
import { refOf } from '../connections/member.js'

/** Which connection an API id names; only ever combined with the caller's own tenant. */
export interface ApiConnectionRef {
  tenantId: string
  userId: string
  provider: ProviderId
}

/** A place in the tenant's connections, oldest first: after this member, connected at `at`. */
export interface ListPosition {
  at: number
  member: string
}

/**
 * What the API reads about connections, wired by the composition root (src/services.ts)
 * from the stores that own the data: the API itself reaches connections only through the
 * connection lifecycle, for anything that uses a grant.
 */
export interface ConnectionDirectory {
  /** Up to `count` members (`userId:provider`) after `after`, oldest first, with when each connected. */
  after(tenantId: string, after: ListPosition | undefined, count: number): Promise<ListPosition[]>
  summaries(
    refs: ApiConnectionRef[],
  ): Promise<({ status: 'connected' | 'needs_reconnect'; accountLabel: string; name?: string } | null)[]>
  emails(tenantId: string, userIds: string[]): Promise<(string | null)[]>
  /** Last known balance and company, per member (from the support index). */
  entries(
    tenantId: string,
    members: string[],
  ): Promise<{ balance?: Money; company?: string; readAt?: number }[]>
}

const ID = new RegExp(`^(${PROVIDER_IDS.join('|')})_([0-9a-f]{1,64})$`)

/** The API's id of a connection: `<provider>_<user id>`, e.g. `sms77_5f0c…`. */
export function connectionIdOf(ref: { userId: string; provider: ProviderId }): string {
  return `${ref.provider}_${ref.userId}`
}

export function refOfId(tenantId: string, id: string): ApiConnectionRef | null {
  const m = ID.exec(id)
  return m ? { tenantId, provider: m[1] as ProviderId, userId: m[2]! } : null
}

/** The answers' shape of many connections, read in three pipelines whatever the page size. */
export async function describe(
  dir: ConnectionDirectory,
  tenantId: string,
  members: string[],
): Promise<ConnectionView[]> {
  const refs = members.map((m) => refOf(tenantId, m))
  const [summaries, emails, entries] = await Promise.all([
    dir.summaries(refs),
    dir.emails(
      tenantId,
      refs.map((r) => r.userId),
    ),
    dir.entries(tenantId, members),
  ])
  return refs.flatMap((ref, i) => {
    const summary = summaries[i]
    if (!summary) return []
    const entry = entries[i] ?? {}
    const balance =
      entry.balance && entry.readAt
        ? { ...entry.balance, readAt: new Date(entry.readAt).toISOString() }
        : null
    return [
      {
        id: connectionIdOf(ref),
        user: { email: emails[i] ?? null },
        provider: ref.provider,
        status: summary.status,
        account: { label: summary.accountLabel, name: summary.name ?? null, company: entry.company ?? null },
        balance,
      },
    ]
  })
}
