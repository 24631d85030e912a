import express, { type Express } from 'express'
import helmet from 'helmet'
import { PUBLIC_DIR, VIEWS_DIR } from '../config/paths.js'
import { errorHandler, notFound } from '../http/error-handler.js'
import { csrfProtection } from '../http/csrf.js'
import { requestLog } from '../http/request-log.js'
import { noStore } from '../http/no-store.js'
import { contentSecurityPolicy } from '../http/content-security-policy.js'
import { parseTrustProxy } from '../http/trust-proxy.js'
import { resolveIncludesOnLoad } from '../http/view-includes.js'
import { rejectNonUtf8Query, verifyUtf8Body } from '../http/utf8.js'
import { exposeFlash, sessionMiddleware } from '../auth/session.js'
import { currentUser, loadUser } from '../auth/current-user.js'
import { authRoutes } from '../auth/routes.js'
import { KnownDevices } from '../auth/known-device.js'
import { passwordRoutes } from '../auth/password-routes.js'
import { inviteRoutes } from '../auth/invite-routes.js'
import { outboxRoutes } from '../mail/outbox-routes.js'
import { PendingFlowStore } from '../connections/pending-flows.js'
import { connectRoutes } from '../connections/routes.js'
import { reconnectRoutes } from '../connections/reconnect-routes.js'
import { memberOf } from '../connections/member.js'
import { SharedCards } from '../dashboard/shared-cards.js'
import { dashboardRoutes } from '../dashboard/routes.js'
import { healthRoutes } from '../ops/health.js'
import { supportRoutes } from '../support/routes.js'
import { adminRoutes } from '../admin/routes.js'
import { dataLifecycleRoutes } from '../data-lifecycle/index.js'
import { buildServices, type AppDeps } from './services.js'
import { adminDeps, supportDeps } from './route-deps.js'
import { dashboardChain } from './dashboard-chain.js'
import {
  apiRoutes,
  listingChain,
  LISTING_PATH,
  oneConnectionChain,
  ONE_CONNECTION_PATH,
} from '../api/routes.js'
import { apiDeps } from './api-deps.js'
import { pageWithPerson } from './page-person.js'
import { mcpRoutes } from '../mcp/routes.js'
import { languageRoutes, localize, preferPerson } from '../i18n/localize.js'
import { staffSignIn } from '../signin/index.js'
import { serverSpans } from '../tracing/server-spans.js'
import { tracingOn } from '../tracing/spans.js'

export { buildServices, type AppDeps, type Services } from './services.js'

/** Builds the Express app apart from `listen`, so tests drive it with supertest. */
export function createApp(deps: AppDeps, services = buildServices(deps)): Express {
  const { config, redis, logger } = deps
  const app = express()
  app.disable('x-powered-by')
  app.set('trust proxy', config.trustProxy ? parseTrustProxy(config.trustProxy) : false)
  app.set('views', VIEWS_DIR)
  app.set('view engine', 'ejs')
  resolveIncludesOnLoad(VIEWS_DIR)
  app.locals.signupClosed = !config.signupOpen
  // Only with OTEL_EXPORTER_OTLP_ENDPOINT: no middleware at all otherwise.
  if (tracingOn()) app.use(serverSpans)
  if (deps.metrics) app.use(deps.metrics.httpMetrics)
  app.use(requestLog(logger))
  app.use(
    helmet({
      contentSecurityPolicy: contentSecurityPolicy(config),
      strictTransportSecurity: config.secureCookies,
    }),
  )

  // The most called API reads, on chains of their own (their routes' other steps are the same).
  const api = apiDeps(deps, services)
  app.get(ONE_CONNECTION_PATH, oneConnectionChain(api))
  app.get(LISTING_PATH, listingChain(api))

  const session = sessionMiddleware({ redis, secret: config.sessionSecret, secure: config.secureCookies })
  const csrf = csrfProtection()
  const cache = services.cache
  // The most visited page, on a chain of its own: after metrics, logging and headers, the page
  // at its door for a clean session (before the session middleware), else only what the page
  // uses (no body parser, no routers it is not in); anything else goes on down the chain below.
  const { dashboard, pages, door, warm } = dashboardChain(deps, services, csrf)
  app.set('dashboard pages', pages) // for tests that look inside
  app.get('/dashboard', noStore, door, rejectNonUtf8Query, localize, session, warm)

  app.use('/public', express.static(PUBLIC_DIR, { maxAge: '1h', index: false }))
  // Browsers ask for /favicon.ico on pages that name no icon (the sandbox's consent pages).
  app.get('/favicon.ico', (_req, res) => res.type('image/svg+xml').sendFile(`${PUBLIC_DIR}/favicon.svg`))
  // Everything below may depend on a session: never kept by a cache, bfcache included.
  app.use(noStore)
  // The tenant API before sessions and CSRF: keys, not cookies; and before the pages' own
  // layers (language, health, metrics, sandbox), which no JSON answer uses. Its docs page is
  // a page, in the reader's language.
  const docsPage = pageWithPerson({ session, users: services.users, exposeToken: csrf.exposeToken })
  app.get('/api/docs', localize, docsPage)
  app.use('/api', apiRoutes(api))
  app.use('/mcp', mcpRoutes(api))
  app.use(healthRoutes(redis))
  // Before everything that renders a page, the outbox and error pages included.
  app.use(localize, languageRoutes({ secure: config.secureCookies }))
  if (deps.metrics) app.use(deps.metrics.metricsRoute(config.metricsToken))
  // Before the sandbox's own routes: the outbox is the app's, shown in the sandbox's room.
  if (services.people.outbox) app.use(outboxRoutes(services.people.outbox))
  if (deps.sandbox) app.use('/sandbox', deps.sandbox.router)

  app.use(rejectNonUtf8Query)
  app.use(express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 100, verify: verifyUtf8Body }))
  app.use(session)
  app.use(loadUser(services.users), preferPerson(currentUser))
  const signin = staffSignIn({
    ...services,
    redis,
    limiter: services.people.limiter,
    now: deps.clock,
    baseUrl: config.baseUrl,
    sandboxSso: deps.sandbox?.sso,
    logger,
  })
  app.use(signin.confine)
  app.use(csrf.protect)
  app.use(csrf.exposeToken, exposeFlash, services.notifier.exposeNotices())
  // The nav marks the page it is on (aria-current="page"), from the path alone.
  app.use((req, res, next) => {
    res.locals.currentPath = req.path
    next()
  })

  app.use(
    authRoutes({
      accounts: services.accounts,
      limiter: services.people.limiter,
      sessions: services.sessions,
      passwords: services.people.passwords,
      signupOpen: config.signupOpen,
      baseUrl: config.baseUrl,
      knownDevices: new KnownDevices(config.sessionSecret, config.secureCookies),
      afterPassword: signin.afterPassword,
      ssoRule: signin.ssoRule,
    }),
  )
  app.use(signin.router)
  app.use(
    passwordRoutes({
      ...services.people,
      users: services.users,
      tenants: services.tenants,
      ssoRule: signin.ssoRule,
    }),
  )
  app.use(
    inviteRoutes({
      invitations: services.people.invitations,
      users: services.users,
      tenants: services.tenants,
      afterPassword: signin.afterPassword,
      ssoRule: signin.ssoRule,
    }),
  )
  const flows = new PendingFlowStore(redis, services.cipher)
  app.use(
    connectRoutes({
      baseUrl: config.baseUrl,
      providers: services.providers,
      lifecycle: services.connections,
      flows,
      credentials: services.credentials,
      links: services.reconnectLinks,
      onReconnectLinkUsed: (ref, user) =>
        services.audit.record(ref.tenantId, {
          actorId: user.id,
          actorEmail: user.email,
          action: 'connection.reconnect_link_used',
          detail: `reconnected ${ref.provider} through a reconnect link`,
          accounts: [memberOf(ref)],
        }),
    }),
  )
  app.use(
    reconnectRoutes({
      baseUrl: config.baseUrl,
      providers: services.providers,
      flows,
      credentials: services.credentials,
      links: services.reconnectLinks,
      store: services.store,
    }),
  )
  app.use(
    dashboardRoutes({
      dashboard,
      connections: services.connections,
      providers: services.providers,
      cache,
      kept: services.kept,
      sender: services.sender,
      announceSent: services.announcements.messageSent,
      shared: new SharedCards({
        ...services,
        cache,
        organisationName: async (id) => (await services.tenants.get(id))?.name ?? '',
      }),
    }),
  )
  app.use(supportRoutes(supportDeps(services, config.baseUrl)))
  app.use(dataLifecycleRoutes({ ...services, redis, logger, baseUrl: config.baseUrl, reauth: signin.reauth }))
  app.use(adminRoutes({ ...adminDeps(services, config), ssoRule: signin.ssoRule }))

  app.use(notFound)
  app.use(errorHandler(logger))
  return app
}
