import express, { type Express } from 'express'
import helmet from 'helmet'
import { pinoHttp } from 'pino-http'
import { randomUUID } from 'node:crypto'
import type { Config } from './config.js'
import { PUBLIC_DIR, VIEWS_DIR } from './paths.js'
import type { RedisClient } from './redis/client.js'
import type { Logger } from './http/logger.js'
import { errorHandler, notFound } from './http/error-handler.js'
import { csrfProtection } from './http/csrf.js'
import { rejectNonUtf8Query, verifyUtf8Body } from './http/utf8.js'
import { exposeFlash, sessionMiddleware } from './auth/session.js'
import { loadUser } from './auth/current-user.js'
import { authRoutes } from './auth/routes.js'
import { AccountService } from './auth/account-service.js'
import { UserStore } from './auth/user-store.js'
import { LoginLimiter, type LoginLimits } from './auth/login-limiter.js'
import { TenantStore } from './tenants/tenant-store.js'
import { TokenCipher } from './connections/token-cipher.js'
import { ConnectionStore } from './connections/connection-store.js'
import { RefreshLock } from './connections/refresh-lock.js'
import { PendingFlowStore } from './connections/pending-flows.js'
import { ConnectionService, type ConnectionEvents } from './connections/connection-service.js'
import { credentialSource, type CredentialSource } from './connections/credentials.js'
import { connectRoutes } from './connections/routes.js'
import { ProviderRegistry } from './providers/registry.js'
import { sms77Provider } from './providers/sms77/index.js'
import { nexmoProvider } from './providers/nexmo/index.js'
import type { Provider } from './providers/types.js'
import { PanelCache } from './dashboard/panel-cache.js'
import { DashboardService } from './dashboard/dashboard-service.js'
import { dashboardRoutes } from './dashboard/routes.js'
import { healthRoutes } from './ops/health.js'
import { SupportIndex, refOf } from './support/support-index.js'
import { AuditLog } from './support/audit-log.js'
import { BalanceReader } from './support/balance-reader.js'
import { supportRoutes, type SupportDeps } from './support/routes.js'
import { TenantCredentialStore } from './admin/tenant-credentials.js'
import { UserAdmin } from './admin/user-admin.js'
import { adminRoutes, type AdminDeps } from './admin/routes.js'
import { SessionIndex } from './auth/session-index.js'
import { WebhookStore } from './notifications/webhook-store.js'
import { WebhookQueue } from './notifications/webhook-queue.js'
import { WebhookSender } from './notifications/webhook-delivery.js'
import { StatusNotifier } from './notifications/notifier.js'
import type { Sandbox } from './sandbox/index.js'
import { combineEvents, type Metrics } from './ops/metrics.js'

export interface AppDeps {
  config: Config
  redis: RedisClient
  logger: Logger
  sandbox?: Sandbox
  loginLimits?: LoginLimits
  panelCacheTtlSec?: number
  events?: ConnectionEvents
  metrics?: Metrics
}

export interface Services {
  accounts: AccountService
  users: UserStore
  tenants: TenantStore
  connections: ConnectionService
  store: ConnectionStore
  lock: RefreshLock
  providers: ProviderRegistry
  cipher: TokenCipher
  credentials: CredentialSource
  webhooks: WebhookStore
  webhookQueue: WebhookQueue
  notifier: StatusNotifier
  tenantCredentials: TenantCredentialStore
  supportIndex: SupportIndex
  audit: AuditLog
  sessions: SessionIndex
}

export function buildServices(deps: AppDeps): Services {
  const { config, redis } = deps
  const cipher = new TokenCipher(config.tokenKeys)
  const store = new ConnectionStore(redis, cipher)
  const lock = new RefreshLock(redis)
  const list: Provider[] = [sms77Provider(config.sms77), nexmoProvider(config.nexmo)]
  const providers = new ProviderRegistry(list)
  const tenantCredentials = new TenantCredentialStore(redis, cipher)
  const credentials = credentialSource({ sms77: config.sms77.client, nexmo: config.nexmo.consumer }, (t, p) =>
    tenantCredentials.get(t, p),
  )
  const tenants = new TenantStore(redis)
  const users = new UserStore(redis)
  const webhooks = new WebhookStore(redis, cipher)
  const webhookQueue = new WebhookQueue(
    redis,
    webhooks,
    new WebhookSender(config.webhookAllowPrivate),
    deps.logger,
  )
  const notifier = new StatusNotifier({ redis, users, webhooks, queue: webhookQueue, logger: deps.logger })
  const events = combineEvents(deps.metrics?.events, deps.events, {
    statusChanged: (ref, from, to) => notifier.emit(ref, from, to),
  })
  const connections = new ConnectionService({ store, lock, providers, credentials, events })
  return {
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
    cipher,
    credentials,
    tenantCredentials,
    supportIndex: new SupportIndex(redis),
    audit: new AuditLog(redis),
    sessions: new SessionIndex(redis),
  }
}

function contentSecurityPolicy(config: Config) {
  // The Connect forms POST to us and are answered with a redirect to the provider;
  // browsers apply form-action to that redirect, so the providers' origins are allowed.
  const providerOrigins = [
    ...new Set([config.sms77.oauthUrl, config.nexmo.oauthUrl].map((u) => new URL(u).origin)),
  ]
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      frameAncestors: ["'none'"],
      formAction: ["'self'", ...providerOrigins],
      ...(config.secureCookies ? { upgradeInsecureRequests: [] } : {}),
    },
  }
}

/** Builds the Express app apart from `listen`, so tests drive it with supertest. */
export function createApp(deps: AppDeps, services = buildServices(deps)): Express {
  const { config, redis, logger } = deps
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', config.trustProxy ? parseTrustProxy(config.trustProxy) : false)
  app.set('views', VIEWS_DIR)
  app.set('view engine', 'ejs')
  if (deps.metrics) app.use(deps.metrics.httpMetrics)
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id']
        const id = typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID()
        res.setHeader('x-request-id', id)
        return id
      },
      customProps: (req) => ({
        userId: (req as express.Request).session?.userId,
        tenantId: (req as express.Request).session?.tenantId,
      }),
      // Path only: callback queries carry codes, states and verifiers, headers carry cookies.
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/metrics' },
    }),
  )
  app.use(
    helmet({
      contentSecurityPolicy: contentSecurityPolicy(config),
      strictTransportSecurity: config.secureCookies,
    }),
  )
  app.use('/public', express.static(PUBLIC_DIR, { maxAge: '1h', index: false }))
  // Browsers ask for /favicon.ico on pages that name no icon (the sandbox's consent pages).
  app.get('/favicon.ico', (_req, res) => res.type('image/svg+xml').sendFile(`${PUBLIC_DIR}/favicon.svg`))
  app.use(healthRoutes(redis))
  if (deps.metrics) app.use(deps.metrics.metricsRoute(config.metricsToken))
  if (deps.sandbox) app.use('/sandbox', deps.sandbox.router)

  app.use(rejectNonUtf8Query)
  app.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 100, verify: verifyUtf8Body }))
  app.use(sessionMiddleware({ redis, secret: config.sessionSecret, secure: config.secureCookies }))
  app.use(loadUser(services.users))
  const csrf = csrfProtection()
  app.use(csrf.protect)
  app.use(csrf.exposeToken, exposeFlash, services.notifier.exposeNotices())

  const cache = new PanelCache(redis, deps.panelCacheTtlSec ?? 30)
  const dashboard = new DashboardService({
    providers: services.providers,
    store: services.store,
    connections: services.connections,
    cache,
  })
  const clearCache = (tenantId: string, userId: string) =>
    cache.clear(
      tenantId,
      userId,
      services.providers.all().map((p) => p.id),
    )
  app.use(
    authRoutes({
      accounts: services.accounts,
      limiter: new LoginLimiter(redis, deps.loginLimits),
      sessions: services.sessions,
    }),
  )
  app.use(
    connectRoutes({
      baseUrl: config.baseUrl,
      providers: services.providers,
      store: services.store,
      flows: new PendingFlowStore(redis, services.cipher),
      credentials: services.credentials,
      onChange: clearCache,
      onStatusChange: (ref, from, to) => services.notifier.emit(ref, from, to),
      index: services.supportIndex,
    }),
  )
  app.use(
    dashboardRoutes({ dashboard, connections: services.connections, providers: services.providers, cache }),
  )
  app.use(supportRoutes(supportDeps(services, redis)))
  app.use(adminRoutes(adminDeps(services, config)))

  app.use(notFound)
  app.use(errorHandler(logger))
  return app
}

function supportDeps(s: Services, redis: RedisClient): SupportDeps {
  const words = async (tenantId: string, member: string) => {
    const ref = refOf(tenantId, member)
    const [email, label] = await Promise.all([
      s.users.get(tenantId, ref.userId).then((u) => u?.email ?? ''),
      s.store.get(ref).then(
        (r) => r?.grant.accountLabel ?? '',
        () => '',
      ),
    ])
    return [email, label]
  }
  return {
    redis,
    index: s.supportIndex,
    reader: new BalanceReader(s.connections, s.supportIndex, words),
    audit: s.audit,
    providers: s.providers,
    tenants: s.tenants,
  }
}

function adminDeps(s: Services, config: Config): AdminDeps {
  const userAdmin = new UserAdmin({
    accounts: s.accounts,
    users: s.users,
    sessions: s.sessions,
    store: s.store,
    index: s.supportIndex,
    providers: s.providers,
  })
  return {
    userAdmin,
    credentials: s.tenantCredentials,
    webhooks: s.webhooks,
    webhookQueue: s.webhookQueue,
    tenants: s.tenants,
    audit: s.audit,
    providers: s.providers,
    baseUrl: config.baseUrl,
  }
}

function parseTrustProxy(v: string): boolean | number | string {
  if (v === 'true') return true
  if (v === 'false') return false
  return /^\d+$/.test(v) ? Number(v) : v
}
