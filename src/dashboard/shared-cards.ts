import type { AuditLog } from '../audit/audit-log.js'
import type { User } from '../auth/user-store.js'
import type { ConnectionStore } from '../connections/connection-store.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { memberOf } from '../connections/member.js'
import { maskNumber } from '../connections/message-sender.js'
import type { KeptRead } from '../connections/kept-read.js'
import { ORGANISATION_OWNER, sharedRef } from '../connections/owner.js'
import type { SharedAccess } from '../connections/shared-access.js'
import { ForbiddenError, isAppError, NotFoundError } from '../errors/app-error.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type {
  AccountProfile,
  Grant,
  PanelDef,
  PanelView,
  Provider,
  ProviderId,
  ToolName,
} from '../providers/types.js'
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
  /** The grant's tool forms this person's access allows (none unless connected). */
  tools: SharedTool[]
}

export interface SharedTool {
  id: string
  title: string
  view: PanelView
}

/**
 * What access allows of the grant's tools: delivery reports read only what was sent, so any
 * access may ask; a lookup, a voice message or a caller-ID call costs money or rings a phone,
 * so it needs **May send** (as Send SMS does). Admins always may.
 */
export function mayUseTool(
  tool: ToolName,
  access: { admin: boolean; granted: boolean; maySend: boolean },
): boolean {
  if (access.admin) return true
  return tool === 'deliveryStatus' ? access.granted : access.granted && access.maySend
}

/** What an offline panel (a form) is handed: it calls nobody, so it needs no client credentials. */
const NO_CREDENTIALS = { id: '', secret: '' }

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
      /** Each use of a shared connection's tool is attributed, as each send is. */
      audit: Pick<AuditLog, 'record'>
    },
  ) {}

  async cards(user: User): Promise<SharedCardModel[]> {
    const providers = this.deps.providers.all()
    const access = await this.deps.sharing.of(
      user.tenantId,
      user.id,
      providers.map((p) => p.id),
    )
    const allowed = providers.filter((_, i) => user.role === 'admin' || access[i] !== null)
    if (allowed.length === 0) return []
    const organisation = await this.deps.organisationName(user.tenantId)
    const cards = await Promise.all(
      allowed.map((p) => this.card(user, p, organisation, access[providers.indexOf(p)] ?? null)),
    )
    return cards.filter((c): c is SharedCardModel => c !== null)
  }

  /**
   * The shared connection a tool form of `user`'s is for, read now (access may have gone since
   * the page): not found without access, forbidden when the access does not allow that tool.
   */
  async toolRef(user: User, provider: ProviderId, tool: ToolName): Promise<ReturnType<typeof sharedRef>> {
    const [entry] = await this.deps.sharing.of(user.tenantId, user.id, [provider])
    const admin = user.role === 'admin'
    if (!admin && !entry) throw new NotFoundError('This account is not connected.')
    if (!mayUseTool(tool, { admin, granted: entry !== null, maySend: entry?.maySend ?? false }))
      throw new ForbiddenError('You may not use this tool of the shared connection.')
    return sharedRef(user.tenantId, provider)
  }

  /** Records who used which tool of the organisation's connection (the number masked). */
  async toolUsed(user: User, provider: ProviderId, tool: ToolName, number?: string): Promise<void> {
    const to = number ? ` for ${maskNumber(number)}` : ''
    await this.deps.audit.record(user.tenantId, {
      actorId: user.id,
      actorEmail: user.email,
      action: 'shared.tool_used',
      detail: `used ${tool}${to} through ${provider} (shared)`,
      accounts: [memberOf(sharedRef(user.tenantId, provider))],
    })
  }

  private async card(
    user: User,
    provider: Provider,
    organisation: string,
    entry: { maySend: boolean } | null,
  ) {
    const granted = entry?.maySend ?? false
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
      tools: [] as SharedTool[],
    }
    if (record.status === 'needs_reconnect')
      return { ...base, state: 'needs_reconnect' as const, maySend: false }
    const access = { admin: user.role === 'admin', granted: entry !== null, maySend: entry?.maySend ?? false }
    // A degraded connection is read like a connected one (the lifecycle answers at once while it
    // backs off, and tries once per step): that read is how a page sees it recover.
    const [{ fresh, unavailable, ...profile }, tools] = await Promise.all([
      this.profile(ref, record),
      toolsOf(provider, record.grant, access),
    ])
    // The same status words as a person's own card (issue 24): a provider outage is no reconnect.
    if (unavailable || (record.status === 'degraded' && !fresh))
      return {
        ...base,
        state: 'degraded' as const,
        maySend: false,
        ...(profile.profile ? { profile: profile.profile } : {}),
      }
    return { ...base, state: 'connected' as const, ...profile, tools }
  }

  /** The profile from the shared connection's panel cache (one per connection, not per person). */
  private async profile(
    ref: ReturnType<typeof sharedRef>,
    record: NonNullable<Awaited<ReturnType<ConnectionStore['get']>>>,
  ): Promise<{ profile?: AccountProfile; profileError?: string; fresh?: boolean; unavailable?: boolean }> {
    const { tenantId, provider } = ref
    const cached = await this.deps.cache.getAll(tenantId, ORGANISATION_OWNER, provider)
    if (cached.has(PROFILE)) return { profile: cached.get(PROFILE) as AccountProfile }
    try {
      const { profile } = await this.deps.kept.read(ref, { known: record })
      await this.deps.cache.put(tenantId, ORGANISATION_OWNER, provider, { [PROFILE]: profile })
      return { profile, fresh: true }
    } catch (err) {
      return {
        unavailable: isAppError(err) && err.code === 'provider_unavailable',
        profileError: isAppError(err) && err.expose ? err.message : 'This could not be loaded right now.',
      }
    }
  }
}

/**
 * The grant's tool forms (as `Provider.tools(grant)` offers them) that the access allows. A
 * form calls nobody to be drawn; delivery reports come without the latest messages' list,
 * which would show every sender's recipients to each person with access.
 */
async function toolsOf(
  provider: Provider,
  grant: Grant,
  access: Parameters<typeof mayUseTool>[1],
): Promise<SharedTool[]> {
  const offered = provider.tools?.(grant) ?? {}
  const drawn = (d: PanelDef) => d.offline || d.tool === 'deliveryStatus'
  const defs = provider
    .panels(grant)
    .filter((d) => d.tool && offered[d.tool] && mayUseTool(d.tool, access) && drawn(d))
  return Promise.all(
    defs.map(async (d) => ({
      id: d.id,
      title: d.title,
      view: d.offline ? await d.load({ credentials: NO_CREDENTIALS, grant }) : ({ kind: 'status' } as const),
    })),
  )
}
