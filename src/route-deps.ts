import type { Config } from './config.js'
import type { Services } from './services.js'
import { refOf } from './connections/connection-store.js'
import { BalanceReader } from './support/balance-reader.js'
import type { SupportDeps } from './support/routes.js'
import { UserAdmin } from './admin/user-admin.js'
import type { AdminDeps } from './admin/routes.js'
import { InvitationAdmin } from './admin/invitation-admin.js'

/** What each feature's router is handed, cut from the services (composition root, with services.ts). */
export function supportDeps(s: Services): SupportDeps {
  const words = async (tenantId: string, member: string) => {
    const ref = refOf(tenantId, member)
    const [email, names] = await Promise.all([
      s.users.get(tenantId, ref.userId).then((u) => u?.email ?? ''),
      s.store.get(ref).then(
        (r) => [r?.grant.accountLabel ?? '', r?.name ?? ''],
        () => [],
      ),
    ])
    // The owner's name too: a balance read re-indexes the account under all its words.
    return [email, ...names]
  }
  return {
    connections: s.store,
    index: s.supportIndex,
    reader: new BalanceReader(s.connections, s.supportIndex, words, s.balances),
    history: s.balances.history,
    audit: s.audit,
    providers: s.providers,
    tenants: s.tenants,
  }
}

export function adminDeps(s: Services, config: Config): AdminDeps {
  const userAdmin = new UserAdmin({
    accounts: s.accounts,
    users: s.users,
    sessions: s.sessions,
    lifecycle: s.connections,
    limiter: s.people.limiter,
  })
  const { invitations, mailer, onMailFailed } = s.people
  const base = { users: s.users, tenants: s.tenants, mailer, baseUrl: config.baseUrl, onMailFailed }
  return {
    apiKeys: s.apiKeys,
    userAdmin,
    invitations: new InvitationAdmin({ ...base, invitations }),
    credentials: s.tenantCredentials,
    connections: s.store,
    webhooks: s.webhooks,
    webhookQueue: s.webhookQueue,
    events: s.events,
    eventLog: s.eventLog,
    tenants: s.tenants,
    audit: s.audit,
    providers: s.providers,
    baseUrl: config.baseUrl,
  }
}
