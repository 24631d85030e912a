import type { ConnectionRef } from '../connections/record.js'
import type { Money } from '../providers/types.js'
import type { RedisClient } from '../redis/client.js'
import { BalanceHistory } from './balance-history.js'
import { LowBalanceAlerts, type AlertDeps } from './low-balance-alerts.js'

/**
 * The one door every balance read goes through (support console, dashboard, keep-alive):
 * the read joins the connection's history and may fire a low-balance event. It never
 * throws: a read that succeeded stays a success even when Redis hiccups here.
 */
export class Balances {
  constructor(
    readonly history: BalanceHistory,
    private readonly alerts: LowBalanceAlerts,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  async record(ref: ConnectionRef, money: Money, at = Date.now()): Promise<void> {
    const { kept, checked } = this.keep(ref, money, at)
    await Promise.all([kept, checked])
  }

  /**
   * The same in two parts, for a reader who waits only for what people see next: `kept`
   * once the history holds the read, `checked` once the low-balance check (a threshold
   * read and a flip, round trips after the history's) is done. Neither rejects.
   */
  keep(ref: ConnectionRef, money: Money, at = Date.now()): { kept: Promise<void>; checked: Promise<void> } {
    const done = Promise.resolve()
    if (!Number.isFinite(money.amount)) return { kept: done, checked: done }
    return {
      kept: this.history.record(ref, money, at).then(() => undefined, this.onError),
      checked: this.alerts.observe(ref, money, at).then(() => undefined, this.onError),
    }
  }

  /** A disconnected connection's history and alert state go with it. */
  async forget(ref: ConnectionRef): Promise<void> {
    await Promise.all([this.history.forget(ref), this.alerts.forget(ref)])
  }
}

/** Builds the balances room from what the composition root hands it. */
export function createBalances(deps: AlertDeps & { redis: RedisClient; onError?: (err: unknown) => void }) {
  return new Balances(new BalanceHistory(deps.redis), new LowBalanceAlerts(deps), deps.onError)
}
