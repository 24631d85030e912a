import type { Config } from '../config/config.js'
import type { Services } from './services.js'
import { BalanceReader } from '../support/balance-reader.js'
import { accountWordsReader } from '../support/account-words.js'
import type { SupportDeps } from '../support/routes.js'
import { UserAdmin } from '../admin/user-admin.js'
import type { AdminDeps } from '../admin/routes.js'
import { InvitationAdmin } from '../admin/invitation-admin.js'

/** What each feature's router is handed, cut from the services (composition root, with services.ts). */
export function supportDeps(s: Services, baseUrl: string): SupportDeps {
  const words = accountWordsReader({
    ownerWord: (ref) => s.supportIndex.ownerWord(ref),
    connections: s.store,
  })
  return {
    connections: s.store,
    index: s.supportIndex,
    reader: new BalanceReader(s.kept, s.supportIndex, words),
    history: s.balances.history,
    audit: s.audit,
    providers: s.providers,
    tenants: s.tenants,
    connectionPage: {
      store: s.store,
      lifecycle: s.connections,
      events: s.connectionHistory,
      links: s.reconnectLinks,
      users: s.users,
      tenants: s.tenants,
      providers: s.providers,
      audit: s.audit,
      mailer: s.people.mailer,
      baseUrl,
      onMailFailed: s.people.onMailFailed,
    },
  }
}

export function adminDeps(s: Services, config: Config): AdminDeps {
  const userAdmin = new UserAdmin({
    accounts: s.accounts,
    users: s.users,
    sessions: s.sessions,
    lifecycle: s.connections,
    limiter: s.people.limiter,
    invitations: s.people.invitations,
    inviteLimiter: s.people.inviteLimiter,
    tenants: s.tenants,
  })
  const { invitations, mailer, onMailFailed } = s.people
  const base = { users: s.users, tenants: s.tenants, mailer, baseUrl: config.baseUrl, onMailFailed }
  return {
    shared: {
      store: s.store,
      lifecycle: s.connections,
      kept: s.kept,
      sharing: s.sharing,
      sender: s.sender,
      users: s.users,
    },
    apiKeys: s.apiKeys,
    webhookAllowPrivate: config.webhookAllowPrivate,
    userAdmin,
    invitations: new InvitationAdmin({ ...base, invitations, limiter: s.people.inviteLimiter }),
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
