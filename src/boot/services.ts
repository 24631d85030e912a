import type { Config } from '../config/config.js'
import type { RedisClient } from '../redis/client.js'
import type { Logger } from '../logging/logger.js'
import { AccountService } from '../auth/account-service.js'
import { UserStore } from '../auth/user-store.js'
import type { LoginLimits } from '../auth/login-limiter.js'
import { SessionIndex } from '../auth/session-index.js'
import { TenantStore } from '../tenants/tenant-store.js'
import { TokenCipher } from '../crypto/token-cipher.js'
import { TenantCiphers } from '../crypto/tenant-ciphers.js'
import { ConnectionStore } from '../connections/connection-store.js'
import { RefreshLock } from '../connections/refresh-lock.js'
import { ConnectionLifecycle } from '../connections/lifecycle.js'
import { ConnectionHealth, type HealthTimings } from '../connections/health.js'
import { HealthCounts } from '../connections/health-counts.js'
import { ConnectionEventLog } from '../connections/event-log.js'
import { ReconnectLinks } from '../connections/reconnect-links.js'
import { combineEvents, logListenerFailure, type ConnectionEvents } from '../connections/events.js'
import { followUps } from '../connections/follow-ups.js'
import { credentialSource, type CredentialSource } from '../connections/credentials.js'
import { buildSharing, type SharingServices } from '../connections/sharing.js'
import { PanelCache } from '../dashboard/panel-cache.js'
import { buildBalances, buildKeptRead, type KeptRead } from './kept-read.js'
import { HttpClient, type ProviderCallObserver } from '../providers/http.js'
import { ProviderRegistry } from '../providers/registry.js'
import { sms77Provider } from '../providers/sms77/index.js'
import { nexmoProvider } from '../providers/nexmo/index.js'
import type { Provider, ProviderId } from '../providers/types.js'
import { SupportIndex } from '../support/support-index.js'
import { AuditLog } from '../audit/audit-log.js'
import { TenantCredentialStore } from '../admin/tenant-credentials.js'
import type { WebhookStore } from '../notifications/webhook-store.js'
import type { WebhookDeliveries, DeliveryPolicy } from '../notifications/webhook-deliveries.js'
import type { StatusNotifier } from '../notifications/notifier.js'
import type { EventPublisher } from '../notifications/event-publisher.js'
import type { Announcements } from '../notifications/announcements.js'
import type { EventLog } from '../events/event-log.js'
import { buildNotifications } from '../notifications/build.js'
import type { Sandbox } from '../sandbox/index.js'
import type { Metrics } from '../ops/metrics.js'
import { JobRuntime, jobsPrefix } from '../jobs/runtime.js'
import { registerQueueDepth } from '../ops/queue-metrics.js'
import { registerConnectionHealth } from '../ops/health-metrics.js'
import { observeRedis } from '../ops/redis-metrics.js'
import { createJobsRedis } from '../redis/client.js'
import { replicaWait } from '../redis/replica-wait.js'
import type { Balances } from '../balances/balances.js'
import { CheckedIndex } from '../connections/checked-index.js'
import { Keepalive } from '../keepalive/keepalive.js'
import { buildPeople, type PeopleServices } from './people-services.js'
import { ApiKeyStore, AUTH_CACHE_MS } from '../api-keys/key-store.js'
import type { ApiDeps } from '../api/routes.js'
import { KeptListings } from '../api/kept-listing.js'

/** What the app is made of, built once per process (or per test) from its dependencies. */
export interface AppDeps {
  config: Config
  redis: RedisClient
  logger: Logger
  sandbox?: Sandbox
  loginLimits?: LoginLimits
  panelCacheTtlSec?: number
  /** How long one dashboard panel may take (default PANEL_DEADLINE_MS). */
  panelDeadlineMs?: number
  events?: ConnectionEvents
  metrics?: Metrics
  /** BullMQ's runtime; by default one on its own connection to the configured Redis. */
  jobs?: JobRuntime
  /** Further observers of every provider call, beside the metrics (benchmarks). */
  providerObservers?: ProviderCallObserver[]
  /** Webhook retries and fairness (tests shorten the back-off). */
  webhookPolicy?: Partial<DeliveryPolicy>
  /** The tenant API's per-key rate limit and idempotency timings (tests shorten them). */
  api?: Pick<ApiDeps, 'limits' | 'idempotency'>
  health?: HealthTimings // the connections' back-off (tests step its clock)
  /** The clock two-step codes and single sign-on tokens are checked against (tests move it). */
  clock?: () => number
}

export interface Services extends SharingServices {
  accounts: AccountService
  users: UserStore
  tenants: TenantStore
  connections: ConnectionLifecycle
  cache: PanelCache
  kept: KeptRead // every reader's one kept read of a connection's balance and profile
  listings: KeptListings // the API listing's kept answers, retired by every change it shows
  store: ConnectionStore
  lock: RefreshLock
  providers: ProviderRegistry
  /** The one outbound HTTP client every provider calls through. */
  http: HttpClient
  cipher: TokenCipher // TOKEN_ENCRYPTION_KEY itself: wraps data keys, seals short-lived global flows
  ciphers: TenantCiphers // each organisation's data key: every stored token and secret
  credentials: CredentialSource
  webhooks: WebhookStore
  /** Webhook deliveries on BullMQ: one job per delivery of a logged event, dead letters. */
  webhookQueue: WebhookDeliveries
  /** The organisation's events: its 30-day stream, a webhook delivery of each, `message.sent`. */
  events: EventPublisher
  eventLog: EventLog
  announcements: Announcements
  jobs: JobRuntime
  keepalive: Keepalive
  notifier: StatusNotifier
  tenantCredentials: TenantCredentialStore
  supportIndex: SupportIndex
  audit: AuditLog
  sessions: SessionIndex
  balances: Balances
  people: PeopleServices
  apiKeys: ApiKeyStore
  connectionHistory: ConnectionEventLog // each connection's last 50 events (support console)
  reconnectLinks: ReconnectLinks // the links support mails to a connection's owner
}

export function buildServices(deps: AppDeps): Services {
  const { config, redis } = deps
  const cipher = new TokenCipher(config.tokenKeys)
  const ciphers = new TenantCiphers(redis, cipher)
  const audit = new AuditLog(redis)
  const store = new ConnectionStore(redis, ciphers)
  const lock = new RefreshLock(redis)
  const observers = [deps.metrics?.observeProviderCall, ...(deps.providerObservers ?? [])]
  const http = new HttpClient({ observers: observers.filter((o) => o !== undefined) })
  const list: Provider[] = [sms77Provider(config.sms77, http), nexmoProvider(config.nexmo, http)]
  const providers = new ProviderRegistry(list)
  const labelOf = (id: ProviderId) => providers.get(id).label
  const tenantCredentials = new TenantCredentialStore(redis, ciphers)
  const credentials = credentialSource(
    { sms77: config.sms77.client, nexmo: config.nexmo.consumer },
    tenantCredentials,
    labelOf,
  )
  const tenants = new TenantStore(redis)
  const users = new UserStore(redis)
  const sessions = new SessionIndex(redis)
  const jobs =
    deps.jobs ??
    new JobRuntime(createJobsRedis(config.redis), jobsPrefix(config.redisKeyPrefix), deps.metrics?.jobs)
  if (deps.metrics) registerQueueDepth(deps.metrics.registry, jobs)
  const notifications = buildNotifications({ ...deps, ciphers, users, jobs, labelOf })
  const { events, announcements, notifier } = notifications
  const supportIndex = new SupportIndex(redis, { connections: store, users, tenants })
  const cache = new PanelCache(redis, deps.panelCacheTtlSec ?? 30)
  const balances = buildBalances({ redis, tenants, users, events, logger: deps.logger })
  const allProviders = list.map((p) => p.id)
  const connectionHistory = new ConnectionEventLog(redis)
  const listings = new KeptListings(redis)
  const follow = followUps({
    log: (c) => connectionHistory.follow(c),
    notify: (ref, from, to, reason) => notifier.emit(ref, from, to, reason),
    announce: (change) => announcements.connectionChanged(change),
    index: (ref, account) => supportIndex.indexAccount(ref, account),
    unindex: (ref) => supportIndex.removeConnection(ref),
    forgetBalances: (ref) => balances.forget(ref),
    clearPanels: (ref) => cache.clear(ref.tenantId, ref.userId, allProviders),
    clearKept: (ref, what) => (what === 'account' ? kept.clear(ref) : kept.restamp(ref)),
    listingChanged: (ref) => listings.changed(ref.tenantId),
  })
  const onListenerFailed = logListenerFailure(deps.logger)
  const connectionEvents = combineEvents([deps.metrics?.events, deps.events, follow], onListenerFailed)
  const connections = new ConnectionLifecycle({
    store,
    health: new ConnectionHealth(redis, deps.health),
    lock,
    providers,
    credentials,
    events: connectionEvents,
    onListenerFailed,
    onRevokeFailed: (provider, code) => deps.logger.warn({ provider, code }, 'revocation failed'),
    afterRotation: replicaWait(config.redis, redis),
    readKept: (ref, known) => kept.read(ref, { known, fresh: true }), // proves the grant now, kept for all
  })
  const ttlSec = deps.panelCacheTtlSec
  const kept = buildKeptRead({ redis, lifecycle: () => connections, supportIndex, balances, ttlSec })
  const checkedIndex = new CheckedIndex(redis)
  const keepalive = new Keepalive({
    jobs,
    index: checkedIndex,
    connections,
    providers: allProviders,
    periodSec: config.connectionKeepaliveSec,
    logger: deps.logger,
  }).define()
  deps.metrics?.keepaliveLag(() => keepalive.lagSeconds(), config.connectionKeepaliveSec)
  if (deps.metrics) observeRedis(deps.metrics, redis)
  const counts = new HealthCounts(redis, () => checkedIndex.tenants())
  if (deps.metrics) registerConnectionHealth(deps.metrics.registry, () => counts.read())
  return {
    ...notifications,
    jobs,
    keepalive,
    cache,
    kept,
    listings,
    accounts: new AccountService(tenants, users),
    users,
    tenants,
    connections,
    store,
    lock,
    providers,
    http,
    cipher,
    ciphers,
    credentials,
    tenantCredentials,
    supportIndex,
    audit,
    sessions,
    balances,
    people: buildPeople({ ...deps, users, sessions }),
    apiKeys: new ApiKeyStore(redis, AUTH_CACHE_MS, deps.clock),
    ...buildSharing({ redis, ciphers, audit, lifecycle: connections }),
    connectionHistory,
    reconnectLinks: new ReconnectLinks(redis),
  }
}
