import { setTimeout as sleep } from 'node:timers/promises'
import { Gauge, type Registry } from 'prom-client'
import type { JobRuntime } from '../jobs/runtime.js'

const STATES = ['waiting', 'prioritized', 'delayed', 'active', 'failed'] as const

/**
 * `jobs_queue_depth{queue,state}`, read from Redis at each scrape. BullMQ's connection
 * waits for Redis forever (its workers need that), so a scrape gives each queue
 * `timeoutMs` and leaves out what did not answer rather than hanging `/metrics`.
 */
export function registerQueueDepth(registry: Registry, runtime: JobRuntime, timeoutMs = 2_000): void {
  new Gauge({
    name: 'jobs_queue_depth',
    help: 'Background jobs per queue and state (failed: given up, e.g. webhook dead letters)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const read = runtime.queueNames.map(async (queue) => {
        const counts = await Promise.race([
          runtime.queue(queue).getJobCounts(...STATES),
          sleep(timeoutMs, undefined, { ref: false }),
        ]).catch(() => undefined)
        return { queue, counts }
      })
      const results = await Promise.all(read)
      this.reset()
      for (const { queue, counts } of results)
        if (counts) for (const state of STATES) this.set({ queue, state }, counts[state] ?? 0)
    },
  })
}
