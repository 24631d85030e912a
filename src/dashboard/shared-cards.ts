import type { User } from '../auth/user-store.js'
import type { ConnectionStore } from '../connections/connection-store.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import type { KeptRead } from '../connections/kept-read.js'
import { ORGANISATION_OWNER, sharedRef } from '../connections/owner.js'
import type { SharedAccess } from '../connections/shared-access.js'
import { isAppError } from '../errors/app-error.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { AccountProfile, Provider } from '../providers/types.js'
import type { PanelCache } from './panel-cache.js'

/** A shared connection as a person with access sees it on the dashboard. */
export interface SharedCardModel {
  provider: Provider
  organisation: string
  accountLabel: string
  name?: string
  state: 'connected' | 'degraded' | 'needs_reconnect'
  profile?: AccountProfile
  profileError?: string
  /** Send SMS is shown: the person may send and the grant can. */
  maySend: boolean
}

const PROFILE = '__profile'

/**
 * The organisation's shared connections a person may use (admins: all of them), read on
 * every request (never from a kept page: warm-route.ts sends such people the normal way),
 * so removing access takes effect on the person's next page.
 */
export class SharedCards {
  constructor(
    private readonly deps: {
      store: ConnectionStore
      connections: ConnectionLifecycle
      sharing: SharedAccess
      cache: PanelCache
      kept: Pick<KeptRead, 'read'>
      providers: ProviderRegistry
      organisationName(tenantId: string): Promise<string>
    },
  ) {}

  async cards(user: User): Promise<SharedCardModel[]> {
    const providers = this.deps.providers.all()
    const access = await this.deps.sharing.of(user.tenantId, user.id, providers.map((p) => p.id))
    const allowed = providers.filter((_, i) => user.role === 'admin' || access[i] !== null)
    if (allowed.length === 0) return []
    const organisation = await this.deps.organisationName(user.tenantId)
    const cards = await Promise.all(
      allowed.map((p) => this.card(user, p, organisation, access[providers.indexOf(p)]?.maySend ?? false)),
    )
    return cards.filter((c): c is SharedCardModel => c !== null)
  }

  private async card(user: User, provider: Provider, organisation: string, granted: boolean) {
    const ref = sharedRef(user.tenantId, provider.id)
    const record = await this.deps.store.get(ref).catch(() => null)
    if (!record) return null
    const sendPanel = provider.panels(record.grant).find((d) => d.id === 'sms')
    const base = {
      provider,
      organisation,
      accountLabel: record.grant.accountLabel,
      ...(record.name ? { name: record.name } : {}),
      maySend: (user.role === 'admin' || granted) && sendPanel !== undefined,
    }
    // The same status words as a person's own card (issue 24): a provider outage is no reconnect.
    if (record.status === 'degraded') return { ...base, state: 'degraded' as const, maySend: false }
    if (record.status !== 'connected') return { ...base, state: 'needs_reconnect' as const, maySend: false }
    const profile = await this.profile(ref, record)
    return { ...base, state: 'connected' as const, ...profile }
  }

  /** The profile from the shared connection's panel cache (one per connection, not per person). */
  private async profile(
    ref: ReturnType<typeof sharedRef>,
    record: NonNullable<Awaited<ReturnType<ConnectionStore['get']>>>,
  ): Promise<{ profile?: AccountProfile; profileError?: string }> {
    const { tenantId, provider } = ref
    const cached = await this.deps.cache.getAll(tenantId, ORGANISATION_OWNER, provider)
    if (cached.has(PROFILE)) return { profile: cached.get(PROFILE) as AccountProfile }
    try {
      const { profile } = await this.deps.kept.read(ref, { known: record })
      await this.deps.cache.put(tenantId, ORGANISATION_OWNER, provider, { [PROFILE]: profile })
      return { profile }
    } catch (err) {
      return { profileError: isAppError(err) && err.expose ? err.message : 'This could not be loaded right now.' }
    }
  }
}
