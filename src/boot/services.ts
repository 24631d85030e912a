import type { Config } from '../config/config.js'
import type { RedisClient } from '../redis/client.js'
import type { Logger } from '../logging/logger.js'
import { AccountService } from '../auth/account-service.js'
import { UserStore } from '../auth/user-store.js'
import type { LoginLimits } from '../auth/login-limiter.js'
import { SessionIndex } from '../auth/session-index.js'
import { TenantStore } from '../tenants/tenant-store.js'
import { TokenCipher } from '../crypto/token-cipher.js'
import { ConnectionStore } from '../connections/connection-store.js'
import { RefreshLock } from '../connections/refresh-lock.js'
import { ConnectionLifecycle } from '../connections/lifecycle.js'
import { combineEvents, type ConnectionEvents, type ListenerFailed } from '../connections/events.js'
import { followUps } from '../connections/follow-ups.js'
import { credentialSource, type CredentialSource } from '../connections/credentials.js'
import { PanelCache } from '../dashboard/panel-cache.js'
import { HttpClient, type ProviderCallObserver } from '../providers/http.js'
import { ProviderRegistry } from '../providers/registry.js'
import { sms77Provider } from '../providers/sms77/index.js'
import { nexmoProvider } from '../providers/nexmo/index.js'
import type { Provider, ProviderId } from '../providers/types.js'
import { SupportIndex } from '../support/support-index.js'
import { AuditLog } from '../audit/audit-log.js'
import { TenantCredentialStore } from '../admin/tenant-credentials.js'
import { WebhookStore } from '../notifications/webhook-store.js'
import { WebhookDeliveries, type DeliveryPolicy } from '../notifications/webhook-deliveries.js'
import { WebhookSender } from '../notifications/webhook-delivery.js'
import { StatusNotifier } from '../notifications/notifier.js'
import type { Sandbox } from '../sandbox/index.js'
import type { Metrics } from '../ops/metrics.js'
import { JobRuntime, jobsPrefix } from '../jobs/runtime.js'
import { registerQueueDepth } from '../ops/queue-metrics.js'
import { observeRedis } from '../ops/redis-metrics.js'
import { createJobsRedis } from '../redis/client.js'
import { replicaWait } from '../redis/replica-wait.js'
import { createBalances, type Balances } from '../balances/balances.js'
import { DEFAULT_LOW_BALANCE } from '../tenants/tenant-store.js'
import { CheckedIndex } from '../connections/checked-index.js'
import { Keepalive } from '../keepalive/keepalive.js'
import { buildPeople, type PeopleServices } from './people-services.js'
import { ApiKeyStore } from '../api-keys/key-store.js'
import type { ApiDeps } from '../api/routes.js'

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
}

export interface Services {
  accounts: AccountService
  users: UserStore
  tenants: TenantStore
  connections: ConnectionLifecycle
  cache: PanelCache
  store: ConnectionStore
  lock: RefreshLock
  providers: ProviderRegistry
  /** The one outbound HTTP client every provider calls through. */
  http: HttpClient
  cipher: TokenCipher
  credentials: CredentialSource
  webhooks: WebhookStore
  /** Webhook deliveries on BullMQ: `enqueue(tenantId, event, payload)`, dead letters. */
  webhookQueue: WebhookDeliveries
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
}

export function buildServices(deps: AppDeps): Services {
  const { config, redis } = deps
  const cipher = new TokenCipher(config.tokenKeys)
  const store = new ConnectionStore(redis, cipher)
  const lock = new RefreshLock(redis)
  const observers = [deps.metrics?.observeProviderCall, ...(deps.providerObservers ?? [])]
  const http = new HttpClient({ observers: observers.filter((o) => o !== undefined) })
  const list: Provider[] = [sms77Provider(config.sms77, http), nexmoProvider(config.nexmo, http)]
  const providers = new ProviderRegistry(list)
  const labelOf = (id: ProviderId) => providers.get(id).label
  const tenantCredentials = new TenantCredentialStore(redis, cipher)
  const credentials = credentialSource(
    { sms77: config.sms77.client, nexmo: config.nexmo.consumer },
    tenantCredentials,
    labelOf,
  )
  const tenants = new TenantStore(redis)
  const users = new UserStore(redis)
  const sessions = new SessionIndex(redis)
  const webhooks = new WebhookStore(redis, cipher)
  const jobs =
    deps.jobs ??
    new JobRuntime(createJobsRedis(config.redis), jobsPrefix(config.redisKeyPrefix), deps.metrics?.jobs)
  if (deps.metrics) registerQueueDepth(deps.metrics.registry, jobs)
  const webhookQueue = new WebhookDeliveries({
    jobs,
    redis,
    store: webhooks,
    sender: new WebhookSender(config.webhookAllowPrivate),
    logger: deps.logger,
    policy: deps.webhookPolicy,
  })
  const notifier = new StatusNotifier({
    redis,
    users,
    webhooks,
    queue: webhookQueue,
    labelOf,
    logger: deps.logger,
  })
  const supportIndex = new SupportIndex(redis, { connections: store, users })
  const cache = new PanelCache(redis, deps.panelCacheTtlSec ?? 30)
  const balances = createBalances({
    redis,
    thresholdOf: async (id) => (await tenants.get(id))?.lowBalanceThreshold ?? DEFAULT_LOW_BALANCE,
    emailOf: async (ref) => (await users.get(ref.tenantId, ref.userId))?.email,
    enqueue: async (id, type, body) =>
      (await webhooks.url(id)) ? webhookQueue.enqueue(id, type, body) : null,
    onError: (err) => deps.logger.warn({ err: (err as Error).message }, 'balance record failed'),
  })
  const allProviders = list.map((p) => p.id)
  const follow = followUps({
    notify: (ref, from, to) => notifier.emit(ref, from, to),
    index: (ref, account) => supportIndex.indexAccount(ref, account),
    unindex: (ref) => supportIndex.removeConnection(ref),
    forgetBalances: (ref) => balances.forget(ref),
    clearPanels: (ref) => cache.clear(ref.tenantId, ref.userId, allProviders),
  })
  const onListenerFailed: ListenerFailed = (err, change) =>
    deps.logger.error(
      { err: (err as Error)?.message, change: change.kind, provider: change.ref.provider },
      'connection change listener failed',
    )
  const events = combineEvents([deps.metrics?.events, deps.events, follow], onListenerFailed)
  const connections = new ConnectionLifecycle({
    store,
    lock,
    providers,
    credentials,
    events,
    onListenerFailed,
    onRevokeFailed: (provider, code) => deps.logger.warn({ provider, code }, 'revocation failed'),
    afterRotation: replicaWait(config.redis, redis),
    onBalance: (ref, balance) => balances.record(ref, balance),
  })
  const keepalive = new Keepalive({
    jobs,
    index: new CheckedIndex(redis),
    connections,
    providers: allProviders,
    periodSec: config.connectionKeepaliveSec,
    logger: deps.logger,
  }).define()
  deps.metrics?.keepaliveLag(() => keepalive.lagSeconds(), config.connectionKeepaliveSec)
  if (deps.metrics) observeRedis(deps.metrics, redis)
  return {
    jobs,
    keepalive,
    cache,
    webhooks,
    webhookQueue,
    notifier,
    accounts: new AccountService(tenants, users),
    users,
    tenants,
    connections,
    store,
    lock,
    providers,
    http,
    cipher,
    credentials,
    tenantCredentials,
    supportIndex,
    audit: new AuditLog(redis),
    sessions,
    balances,
    people: buildPeople({ ...deps, users, sessions }),
    apiKeys: new ApiKeyStore(redis),
  }
}
