import { Gauge, type Registry } from 'prom-client'

export interface HealthCountRow {
  status: string
  reason: string
  count: number
}

/**
 * `connections{status,reason}`: every organisation's connections together by status
 * (connected, degraded, needs_reconnect) and reason, read at each scrape (the reader keeps
 * its count a short while). No tenant label: one organisation is never told from another.
 */
export function registerConnectionHealth(registry: Registry, read: () => Promise<HealthCountRow[]>): void {
  new Gauge({
    name: 'connections',
    help: 'Connections by status (connected, degraded, needs_reconnect) and reason, all organisations together',
    labelNames: ['status', 'reason'] as const,
    registers: [registry],
    async collect() {
      try {
        for (const c of await read()) this.set({ status: c.status, reason: c.reason }, c.count)
      } catch {
        // Redis away: the scrape still answers, with the last counts read.
      }
    },
  })
}
