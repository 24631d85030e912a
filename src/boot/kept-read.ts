import { KeptRead } from '../connections/kept-read.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import type { RedisClient } from '../redis/client.js'
import type { SupportIndex } from '../support/support-index.js'
import { createBalances, type Balances } from '../balances/balances.js'
import { DEFAULT_LOW_BALANCE, type TenantStore } from '../tenants/tenant-store.js'
import type { UserStore } from '../auth/user-store.js'
import { eventConnection, type EventPublisher } from '../notifications/event-publisher.js'
import type { Logger } from '../logging/logger.js'

export type { KeptRead }

/** Balance history and its low-balance alerts, published as the organisation's events. */
export function buildBalances(deps: {
  redis: RedisClient
  tenants: TenantStore
  users: UserStore
  events: EventPublisher
  logger: Logger
}): Balances {
  const { tenants, users, events } = deps
  return createBalances({
    redis: deps.redis,
    thresholdOf: async (id) => (await tenants.get(id))?.lowBalanceThreshold ?? DEFAULT_LOW_BALANCE,
    emailOf: async (ref) => (await users.get(ref.tenantId, ref.userId))?.email,
    publish: async (ref, type, { balance, threshold, email }) =>
      events.publish(ref.tenantId, type, { connection: eventConnection(ref, email), balance, threshold }),
    onError: (err) => deps.logger.warn({ err: (err as Error).message }, 'balance record failed'),
  })
}

/**
 * The kept read of every connection (connections/kept-read.ts), wired to what follows each
 * read the provider answered: the support index's last known balance and company (which
 * `GET /api/v1/connections` and the console show) and the balance history with its alerts.
 */
export function buildKeptRead(deps: {
  redis: RedisClient
  lifecycle: () => ConnectionLifecycle
  supportIndex: SupportIndex
  balances: Pick<Balances, 'keep'>
  /** The panel cache's TTL: off (0) keeps no provider answer anywhere (tests, the cold benchmark). */
  ttlSec?: number
}): KeptRead {
  return new KeptRead({
    redis: deps.redis,
    ttlMs: Math.min(deps.ttlSec ?? 30, 30) * 1000,
    use: (ref, call, known) => deps.lifecycle().use(ref, call, known),
    track: (work) => deps.lifecycle().inflight.track(work),
    onRead: async (ref, { profile, readAt }) => {
      const { balance, company } = profile
      const balances = balance && deps.balances.keep(ref, balance, readAt)
      // The first reader of a cold page waits for what the console and the chart show next;
      // the low-balance check goes on without it (tracked, so a shutdown still waits for it).
      if (balances) void deps.lifecycle().inflight.track(balances.checked)
      await Promise.all([deps.supportIndex.recordRead(ref, { balance, company, readAt }), balances?.kept])
    },
  })
}
