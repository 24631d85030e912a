import type { RedisClient } from '../redis/client.js'
import { balanceAlertsKey } from '../redis/keys.js'
import type { ConnectionRef } from '../connections/record.js'
import type { Money } from '../providers/types.js'
import { memberOf } from '../connections/member.js'

export type AlertState = 'low' | 'ok'
export type BalanceEvent = 'balance.low' | 'balance.recovered'

// Sets the state and answers the one it replaced ('' for none), or false when it was
// already set: of two instances reading the same low balance at once, one flips it.
const FLIP_SCRIPT = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev == ARGV[2] then return false end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return prev or ''`

/** What the alerts need from the rooms above (tenant settings, users, the webhook queue). */
export interface AlertDeps {
  redis: RedisClient
  /** The tenant's low-balance threshold (balances below it are low). */
  thresholdOf: (tenantId: string) => Promise<number>
  emailOf: (ref: ConnectionRef) => Promise<string | undefined>
  /** Queues a webhook event, as status changes do: only for a tenant that set a webhook. */
  enqueue: (tenantId: string, type: BalanceEvent, payload: object) => Promise<unknown>
}

/**
 * Fires `balance.low` when a connection's balance falls below its tenant's threshold and
 * `balance.recovered` when it is back at or above it: once per crossing, never per read.
 * The last state is kept per connection in Redis and flipped atomically.
 */
export class LowBalanceAlerts {
  constructor(private readonly deps: AlertDeps) {}

  /** The event this read fired, if any. */
  async observe(ref: ConnectionRef, money: Money, at: number): Promise<BalanceEvent | null> {
    const threshold = await this.deps.thresholdOf(ref.tenantId)
    const state: AlertState = money.amount < threshold ? 'low' : 'ok'
    const prev = (await this.deps.redis.eval(
      FLIP_SCRIPT,
      1,
      balanceAlertsKey(ref.tenantId),
      memberOf(ref),
      state,
    )) as string | null
    // A first read that is fine is no news; a first read that is low is.
    if (prev === null || (state === 'ok' && prev !== 'low')) return null
    const event: BalanceEvent = state === 'low' ? 'balance.low' : 'balance.recovered'
    await this.deps.enqueue(ref.tenantId, event, {
      event,
      tenant: ref.tenantId,
      user: { id: ref.userId, email: await this.deps.emailOf(ref) },
      provider: ref.provider,
      amount: money.amount,
      currency: money.currency,
      threshold,
      at: new Date(at).toISOString(),
    })
    return event
  }

  async forget(ref: ConnectionRef): Promise<void> {
    await this.deps.redis.hdel(balanceAlertsKey(ref.tenantId), memberOf(ref))
  }
}
