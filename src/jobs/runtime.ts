import { setTimeout as sleep } from 'node:timers/promises'
import { Queue, Worker, type Processor, type WorkerOptions } from 'bullmq'
import type { RedisClient } from '../redis/client.js'
import { tracingOn, withSpan, type TraceCarrier } from '../tracing/spans.js'

/**
 * BullMQ's keys live under the deployment's key prefix and one hash tag, so a Redis
 * Cluster keeps every queue's keys in one slot (BullMQ's scripts need that).
 */
export const jobsPrefix = (keyPrefix: string) => `${keyPrefix}{jobs}`

type Definition = {
  processor: Processor
  options: Omit<WorkerOptions, 'connection' | 'prefix' | 'autorun'>
}

/** Watches every worker's jobs, e.g. for metrics; never throws into BullMQ. */
export interface JobObserver {
  finished(queue: string, outcome: 'completed' | 'failed', seconds: number): void
}

/**
 * Background work inside the app process, on BullMQ over the app's own Redis: queues
 * are made on demand (any instance may add jobs), workers only once `start()` is called,
 * so tools and tests can add jobs without processing them. `close()` lets running jobs
 * finish within the shutdown bound and hands the rest back (BullMQ's stalled-job check
 * gives them to another worker, or to this one after a restart).
 */
export class JobRuntime {
  private readonly queues = new Map<string, Queue>()
  private readonly definitions = new Map<string, Definition>()
  private readonly workers: Worker[] = []
  private readonly schedules = new Map<string, { queue: string; every: number; jobName: string }>()
  private scheduling: Promise<void> = Promise.resolve()

  constructor(
    private readonly connection: RedisClient,
    readonly prefix: string,
    private readonly observer?: JobObserver,
  ) {}

  queue(name: string): Queue {
    let queue = this.queues.get(name)
    if (!queue) {
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix })
      this.queues.set(name, queue)
    }
    return queue
  }

  /** Says how a queue's jobs are done; nothing runs before `start()`. */
  define(name: string, processor: Processor, options: Definition['options'] = {}): void {
    this.definitions.set(name, { processor, options })
  }

  /**
   * A job added to `queue` every `every` ms for the whole deployment, not per instance: one
   * BullMQ job scheduler under `id` that every instance upserts at `start()` (idempotent;
   * the last upsert's interval wins), kept in Redis so it survives restarts.
   */
  schedule(queue: string, id: string, every: number, jobName = id): void {
    this.schedules.set(id, { queue, every, jobName })
  }

  /** Settles once the schedules `start()` upserts are stored; rejects with what failed. */
  scheduled(): Promise<void> {
    return this.scheduling
  }

  start(): void {
    if (this.workers.length > 0) return
    const upserts = [...this.schedules].map(([id, s]) =>
      this.queue(s.queue).upsertJobScheduler(
        id,
        { every: s.every },
        { name: s.jobName, opts: { removeOnComplete: true, removeOnFail: 100 } },
      ),
    )
    this.scheduling = Promise.all(upserts).then(() => undefined)
    // Whoever cares (main.ts, tests) awaits scheduled(); an unobserved failure is no crash.
    this.scheduling.catch(() => undefined)
    for (const [name, def] of this.definitions) {
      const worker = new Worker(name, traced(name, def.processor), {
        ...def.options,
        connection: this.connection,
        prefix: this.prefix,
      })
      worker.on('completed', (job) => this.observe(name, 'completed', job.processedOn, job.finishedOn))
      worker.on('failed', (job) => this.observe(name, 'failed', job?.processedOn, job?.finishedOn))
      // Errors of the worker itself (Redis away) are retried by BullMQ; a listener keeps
      // them from becoming unhandled.
      worker.on('error', () => undefined)
      this.workers.push(worker)
    }
  }

  /** Every queue this process defines or has added to (for queue-depth metrics). */
  get queueNames(): string[] {
    return [...new Set([...this.definitions.keys(), ...this.queues.keys()])]
  }

  get running(): boolean {
    return this.workers.length > 0
  }

  /** Finishes running jobs within `ms`, then closes everything (force: jobs are handed back). */
  async close(ms = 25_000): Promise<void> {
    const graceful = Promise.all(this.workers.map((w) => w.close()))
    const finished = await Promise.race([graceful.then(() => true), sleep(ms).then(() => false)])
    if (!finished) await Promise.all(this.workers.map((w) => w.close(true)))
    this.workers.length = 0
    await Promise.all([...this.queues.values()].map((q) => q.close()))
    this.queues.clear()
    await this.connection.quit().catch(() => this.connection.disconnect())
  }

  private observe(queue: string, outcome: 'completed' | 'failed', started?: number, ended?: number) {
    try {
      this.observer?.finished(queue, outcome, started && ended ? (ended - started) / 1000 : 0)
    } catch {
      // An observer never breaks a job.
    }
  }
}

/**
 * Each attempt in a span of its own trace (a consumer span), linked to the request that
 * queued the job when its data carries that request's context (`trace`, see traceCarrier).
 */
function traced(queue: string, processor: Processor): Processor {
  return (job, token, signal) => {
    if (!tracingOn()) return processor(job, token, signal)
    const carried = (job.data as { trace?: TraceCarrier } | undefined)?.trace
    const attributes = {
      'messaging.system': 'bullmq',
      'messaging.destination.name': queue,
      'messaging.operation.type': 'process',
      'switchboard.job': job.name,
      'switchboard.attempt': job.attemptsMade + 1,
    }
    return withSpan(
      `process ${queue}`,
      { kind: 'consumer', parent: {}, links: carried ? [carried] : [], attributes },
      () => processor(job, token, signal),
    )
  }
}
