import { setImmediate as nextTurn } from 'node:timers/promises'
import type { User } from '../auth/user-store.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import type { ConnectionRecord, ConnectionStore } from '../connections/connection-store.js'
import { AppError, isAppError } from '../errors/app-error.js'
import type { ProviderRegistry } from '../providers/registry.js'
import type { AccountProfile, PanelDef, PanelView, Provider } from '../providers/types.js'
import type { KeptAnswer, KeptRead } from '../connections/kept-read.js'
import type { PanelCache } from './panel-cache.js'
import {
  ANY_GENERATION,
  type BuiltCard,
  type CardRecordFacts,
  type CardModel,
  type PanelModel,
  type PanelRenderer,
} from './card-model.js'

/** How a page asks for its cards. */
export interface BuildOptions {
  /** Renders each panel the moment its answer arrives. */
  render?: PanelRenderer
  /**
   * Whether the page's state says the provider's connection exists (page-state.ts): its
   * profile's kept read then starts at once, beside the read of its record.
   */
  present?: (provider: string) => boolean
  /**
   * The panel cache's generation the page's state saw for a provider ('' when empty): an
   * empty cache is then not read again before the calls (a cache filled meanwhile only
   * means this build's answers are not kept, panel-cache.ts `put`).
   */
  cacheGeneration?: (provider: string) => string | undefined
  /** Called when a card's provider calls have been made: what the page can do before their answers. */
  waiting?: (provider: Provider, card: CardRecordFacts) => void
}

const PROFILE = '__profile'
/** What an offline panel (a form) is handed: it calls nobody, so it needs no client credentials. */
const NO_CREDENTIALS = { id: '', secret: '' }
/** Each panel gets this long; a slow provider costs one panel, never the page. */
export const PANEL_DEADLINE_MS = 2_500

function withDeadline<T>(work: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AppError('provider_unavailable', `${label} took too long to answer; try Refresh in a moment.`, {
            status: 504,
            expose: true,
          }),
        ),
      ms,
    )
  })
  // The call goes on in the background (a refresh it started still completes and is stored).
  work.catch(() => undefined)
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

/** Builds the dashboard: every provider's card, every panel loaded in parallel and failing alone. */
export class DashboardService {
  constructor(
    private readonly deps: {
      providers: ProviderRegistry
      store: ConnectionStore
      connections: ConnectionLifecycle
      cache: PanelCache
      /** The connection's one kept read of its profile and balance (shared with the API and MCP). */
      kept: Pick<KeptRead, 'read'>
      panelDeadlineMs?: number
    },
  ) {}

  private get deadlineMs(): number {
    return this.deps.panelDeadlineMs ?? PANEL_DEADLINE_MS
  }

  async cards(user: User): Promise<CardModel[]> {
    const built = await this.build(user)
    await Promise.all(built.map((b) => b.settled))
    return built.map((b) => b.card)
  }

  /** Every card, with what the page cache needs to know of where its content came from. */
  build(user: User): Promise<BuiltCard[]> {
    return Promise.all(this.buildEach(user))
  }

  /** Each card on its own, in the providers' order. */
  buildEach(user: User, opts: BuildOptions = {}): Promise<BuiltCard>[] {
    return this.deps.providers.all().map((p) => this.card(user, p, opts))
  }

  private async card(user: User, provider: Provider, opts: BuildOptions): Promise<BuiltCard> {
    const ref = { tenantId: user.tenantId, userId: user.id, provider: provider.id }
    const reading = this.deps.store.get(ref)
    // The profile's kept read starts beside the record's read: on a miss its provider call is
    // the first to leave, and what follows its answer overlaps the panels' calls. (A record
    // found needing reconnect fails this read, as any read of it would: nothing is kept.)
    const early = opts.present?.(provider.id)
      ? this.deps.kept.read(ref, { known: reading, early: true })
      : undefined
    early?.catch(() => undefined)
    let record: ConnectionRecord | null
    try {
      record = await reading
    } catch (err) {
      const reason = isAppError(err) && err.expose ? err.message : 'This connection could not be read.'
      return { card: { provider, state: 'broken', reason }, generation: null }
    }
    const any = (card: CardModel): BuiltCard => ({ card, generation: ANY_GENERATION })
    if (!record) return any({ provider, state: 'disconnected', scopes: provider.scopes })
    const base = {
      provider,
      grantedScopes: record.grant.scopes,
      accountLabel: record.grant.accountLabel,
      name: record.name,
    }
    if (record.status === 'needs_reconnect')
      return any({ ...base, state: 'needs_reconnect', reason: record.statusReason })
    return this.connectedCard(user, provider, record, { ...opts, early })
  }

  private async connectedCard(
    user: User,
    provider: Provider,
    record: ConnectionRecord,
    { render, early, waiting, cacheGeneration }: BuildOptions & { early?: Promise<KeptAnswer> },
  ): Promise<BuiltCard> {
    const ref = record.ref
    const read =
      cacheGeneration?.(provider.id) === ''
        ? { entries: new Map<string, unknown>(), generation: '' }
        : await this.deps.cache.read(user.tenantId, user.id, provider.id)
    const cached = read.entries
    const fresh: Record<string, unknown> = {}
    const load = async <T>(id: string, fn: () => Promise<T>): Promise<{ value?: T; error?: unknown }> => {
      if (cached.has(id)) return { value: cached.get(id) as T }
      try {
        const value = await withDeadline(fn(), this.deadlineMs, provider.label)
        fresh[id] = value
        return { value }
      } catch (error) {
        return { error }
      }
    }
    const defs = provider.panels(record.grant)
    let settled: Promise<void> | undefined
    const readProfile = async () => {
      const answer = await (early ?? this.deps.kept.read(ref, { known: record, early: true }))
      settled = answer.settled
      return answer.profile
    }
    const profileRead = load(PROFILE, readProfile)
    const loadPanel = async (d: PanelDef): Promise<PanelView> => {
      const fromProfile = d.fromProfile && (await profileRead)
      if (fromProfile?.error) throw fromProfile.error
      const view = fromProfile && d.fromProfile!(fromProfile.value!)
      if (view) return view
      if (d.offline) return d.load({ credentials: NO_CREDENTIALS, grant: record.grant })
      return this.deps.connections.use(ref, (ctx) => d.load(ctx), record)
    }
    const modelOf = (d: PanelDef, r: { value?: unknown; error?: unknown }): PanelModel => {
      const view = r.value as PanelView | undefined
      const panel = { id: d.id, title: d.title, view, error: r.error ? describe(r.error) : undefined }
      return render ? { ...panel, html: render(provider, panel) } : panel
    }
    const loading = Promise.all([
      profileRead,
      ...defs.map(async (d) => {
        const r = await load(d.id, () => loadPanel(d))
        // Rendered after the I/O that is ready by then (other answers, the profile's Redis
        // replies): CPU work waits its turn behind round trips, which then overlap it.
        if (render) await nextTurn()
        return { ...r, model: modelOf(d, r) }
      }),
    ])
    waiting?.(provider, { grantedScopes: record.grant.scopes, name: record.name })
    const [profile, ...panels] = await loading
    const written = await this.deps.cache.put(user.tenantId, user.id, provider.id, fresh, read.generation)
    let generation = Object.keys(fresh).length ? written : read.generation || null
    const results = [profile, ...panels]
    const broken = results.find((r) => isAppError(r.error) && r.error.code === 'needs_reconnect')
    if (broken) {
      const after = await this.deps.store.get(ref)
      const card: CardModel = {
        provider,
        state: 'needs_reconnect',
        reason: after?.statusReason,
        grantedScopes: record.grant.scopes,
        accountLabel: record.grant.accountLabel,
        name: record.name,
      }
      return { card, generation: null, settled }
    }
    if (results.some((r) => r.error !== undefined)) generation = null
    const unavailable = results.some((r) => isAppError(r.error) && r.error.code === 'provider_unavailable')
    const card: CardModel = {
      provider,
      state: 'connected',
      degraded: unavailable || (record.status === 'degraded' && Object.keys(fresh).length === 0),
      grantedScopes: record.grant.scopes,
      accountLabel: record.grant.accountLabel,
      name: record.name,
      profile: profile.value as AccountProfile | undefined,
      profileError: profile.error ? describe(profile.error) : undefined,
      panels: panels.map((p) => p.model),
    }
    return { card, generation, settled }
  }
}

function describe(err: unknown): string {
  return isAppError(err) && err.expose ? err.message : 'This could not be loaded right now.'
}
