import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Work on connections that must not be cut off by a shutdown (a refresh at the
 * provider, a revocation): tracked here so SIGTERM can wait for it to finish and store.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>()

  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    )
    this.running.add(settled)
    void settled.then(() => this.running.delete(settled))
    return work
  }

  get size(): number {
    return this.running.size
  }

  /** Resolves true when everything tracked (including work started meanwhile) settled within `ms`. */
  async drain(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms
    while (this.running.size > 0) {
      const left = deadline - Date.now()
      if (left <= 0) return false
      await Promise.race([Promise.all([...this.running]), sleep(left)])
    }
    return true
  }
}
