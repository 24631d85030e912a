import type { Job } from 'bullmq'
import type { CheckedIndex } from '../connections/checked-index.js'
import { type ConnectionRef } from '../connections/connection-store.js'
import { refOf } from '../connections/member.js'
import type { Logger } from '../logging/logger.js'
import type { JobRuntime } from '../jobs/runtime.js'
import type { ProviderId } from '../providers/types.js'
import { keepalivePlan, type KeepalivePlan } from './plan.js'
import { sweep, type CheckJobData, type SweepResult } from './sweep.js'

export const SWEEP_QUEUE = 'keepalive-sweep'
export const checkQueueName = (provider: ProviderId) => `keepalive-${provider}`
/** Keep-alive jobs of one provider running at once in one instance. */
export const CHECKS_PER_PROVIDER = 8

export type CheckOutcome = 'checked' | 'gone' | 'dead' | 'fresh'

export interface KeepaliveDeps {
  jobs: JobRuntime
  index: CheckedIndex
  /** The lifecycle's keep-alive step: throws on passing failures so the job is retried. */
  connections: { check(ref: ConnectionRef): Promise<'checked' | 'gone' | 'dead'> }
  providers: ProviderId[]
  periodSec: number
  logger: Logger
}

/**
 * Keeps every connection used at least every CONNECTION_KEEPALIVE_SECONDS without a page
 * load (DESIGN.md "Keep-alive"): a job scheduler shared by all instances runs one sweep
 * per interval (sweep.ts); each due connection gets one jittered job on its provider's
 * queue, capped at CHECKS_PER_PROVIDER at once per instance and provider; the job is the
 * lifecycle's `check`, retried with exponential back-off on passing failures.
 */
export class Keepalive {
  readonly plan: KeepalivePlan

  constructor(private readonly deps: KeepaliveDeps) {
    this.plan = keepalivePlan(deps.periodSec)
  }

  /** Defines the queues' work and the shared schedule; runs once `jobs.start()` is called. */
  define(): this {
    const { jobs, providers } = this.deps
    jobs.define(SWEEP_QUEUE, () => this.sweep(), { concurrency: 1 })
    jobs.schedule(SWEEP_QUEUE, SWEEP_QUEUE, this.plan.sweepEveryMs, 'sweep')
    for (const provider of providers)
      jobs.define(checkQueueName(provider), (job: Job<CheckJobData>) => this.check(job), {
        concurrency: CHECKS_PER_PROVIDER,
      })
    return this
  }

  async sweep(now = Date.now()): Promise<SweepResult> {
    const { jobs, providers } = this.deps
    const queueFor = (p: ProviderId) => (providers.includes(p) ? jobs.queue(checkQueueName(p)) : undefined)
    const result = await sweep({ index: this.deps.index, plan: this.plan, queueFor }, now)
    const level = result.due > 0 || result.backfilled ? 'info' : 'debug'
    this.deps.logger[level]({ job: SWEEP_QUEUE, ...result }, 'keep-alive sweep')
    return result
  }

  /**
   * One connection's keep-alive. Skipped when it was checked since it was found due (a
   * page load refreshed it, or a second job for it ran first) or left the index.
   */
  async check(job: Job<CheckJobData>): Promise<CheckOutcome> {
    const { tenantId, member, checkedAt } = job.data
    const ref = refOf(tenantId, member)
    const log = { job: 'keepalive', id: job.id, provider: ref.provider, attempt: job.attemptsMade + 1 }
    const current = await this.deps.index.checkedAt(tenantId, member)
    let outcome: CheckOutcome
    if (current === null) outcome = 'gone'
    else if (current > checkedAt) outcome = 'fresh'
    else {
      try {
        outcome = await this.deps.connections.check(ref)
      } catch (err) {
        const code = (err as { code?: unknown }).code
        const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1)
        this.deps.logger[final ? 'warn' : 'info'](
          { ...log, code: typeof code === 'string' ? code : 'internal' },
          final ? 'keep-alive check failed; the next sweep tries again' : 'keep-alive check failed; retrying',
        )
        throw err
      }
    }
    this.deps.logger.debug({ ...log, outcome }, 'keep-alive check')
    return outcome
  }

  /** Keep-alive lag: seconds since the oldest connection still waiting was last checked. */
  async lagSeconds(now = Date.now()): Promise<number> {
    const oldest = await this.deps.index.recordedOldest()
    return oldest === null ? 0 : Math.max(0, (now - oldest) / 1000)
  }
}
