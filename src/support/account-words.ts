import type { UserStore } from '../auth/user-store.js'
import { type ConnectionStore } from '../connections/connection-store.js'
import { refOf } from '../connections/member.js'

/** What the support console knows an account by, besides the company its last read named. */
export interface AccountNames {
  /** The owner's email. */
  email: string
  /** The provider's name for the account. */
  accountLabel: string
  /** The owner's name for the connection, when given. */
  name?: string
}

/**
 * The words an account is found by in the support console (issue 13): the owner's email,
 * the provider's name for the account and the owner's name for it. Every place that indexes
 * an account (a connect or rename, a balance read, the backfill, the demo seed) asks here,
 * so a search finds an account by the same words whichever way it was indexed.
 */
export function accountWords(a: AccountNames): string[] {
  return [a.email, a.accountLabel, a.name ?? '']
}

/**
 * The words of one account read afresh from the stores that own them: a balance read
 * re-indexes the account under all its words (a vanished connection has only its email).
 */
export function accountWordsReader(records: {
  users: UserStore
  connections: ConnectionStore
}): (tenantId: string, member: string) => Promise<string[]> {
  return async (tenantId, member) => {
    const ref = refOf(tenantId, member)
    const [email, record] = await Promise.all([
      records.users.get(tenantId, ref.userId).then((u) => u?.email ?? ''),
      records.connections.get(ref).catch(() => null),
    ])
    if (!record) return [email]
    return accountWords({ email, accountLabel: record.grant.accountLabel, name: record.name })
  }
}
