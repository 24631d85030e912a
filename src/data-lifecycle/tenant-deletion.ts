import type { RedisClient } from '../redis/client.js'
import { KEEPALIVE_TENANTS_KEY, SSO_ISSUERS_KEY, tenantMetaKey } from '../redis/keys.js'
import {
  OPERATOR_LOG_KEY,
  TENANTS_DELETING_KEY,
  tenantDeletionKey,
  tenantKeysPattern,
} from '../redis/data-keys.js'
import { scanKeys } from '../redis/scan.js'
import type { UserStore } from '../auth/user-store.js'
import type { SessionIndex } from '../auth/session-index.js'
import type { ConnectionStore } from '../connections/connection-store.js'
import type { ConnectionLifecycle } from '../connections/lifecycle.js'
import { refOf } from '../connections/member.js'
import type { TenantCiphers } from '../crypto/tenant-ciphers.js'
import type { JobRuntime } from '../jobs/runtime.js'
import type { Logger } from '../logging/logger.js'
import { globalKeysOf } from './global-keys.js'

/** Grants revoked at once, and how long all revocations may take together. */
export const REVOKE_CONCURRENCY = 8
export const REVOKE_BOUND_MS = 10_000

export interface DeletionReport {
  revoked: number
  revokeFailed: number
  jobs: number
  keys: number
}

export interface TenantDeletionDeps {
  redis: RedisClient
  users: UserStore
  sessions: SessionIndex
  store: ConnectionStore
  connections: ConnectionLifecycle
  ciphers: TenantCiphers
  jobs: JobRuntime
  logger: Logger
  revokeBoundMs?: number
}

/**
 * Deletes an organisation for good, in this order: its sessions end; every grant is
 * revoked at its provider (8 at a time, 10 s in all; a failure is logged and does not
 * stop the deletion); its data key is destroyed; its jobs, the keys outside its slot and
 * then every key of its slot (SCAN by its prefix, on a Cluster on every master) go; the
 * operator log (outside the organisation) records it. Interrupted, it can simply run again:
 * every step finds what is left.
 */
export class TenantDeletion {
  constructor(private readonly deps: TenantDeletionDeps) {}

  /** True while (or after) the organisation is being deleted: a rerun may finish it. */
  async unfinished(tenantId: string): Promise<boolean> {
    return (await this.deps.redis.exists(tenantDeletionKey(tenantId))) === 1
  }

  async delete(tenantId: string, by: string): Promise<DeletionReport> {
    const { redis, users, sessions, ciphers, logger } = this.deps
    await this.log('tenant-deletion-started', tenantId, by)
    // No new data key (nor sign-up under the slug) while it goes; new keys are refused.
    await redis.sadd(TENANTS_DELETING_KEY, tenantId)
    const people = await users.list(tenantId, 0, 1_000_000)
    const globals = await globalKeysOf(redis, tenantId, people)
    if (globals.length) await redis.sadd(tenantDeletionKey(tenantId), ...globals)
    else await redis.sadd(tenantDeletionKey(tenantId), tenantMetaKey(tenantId))
    for (const p of people) await sessions.removeAll(tenantId, p.id)
    const { revoked, failed } = await this.revokeAll(tenantId)
    await ciphers.destroy(tenantId)
    const jobs = await this.removeJobs(tenantId)
    for (const key of await redis.smembers(tenantDeletionKey(tenantId))) await redis.del(key)
    await redis.srem(KEEPALIVE_TENANTS_KEY, tenantId)
    await redis.hdel(SSO_ISSUERS_KEY, tenantId)
    let keys = 0
    const batch: string[] = []
    const flush = async () => {
      // One slot (the tenant's hash tag): a multi-key UNLINK is fine on a Cluster too.
      if (batch.length) keys += await redis.unlink(...batch.splice(0))
    }
    for await (const key of scanKeys(redis, tenantKeysPattern(tenantId))) {
      batch.push(key)
      if (batch.length >= 500) await flush()
    }
    await flush()
    await ciphers.destroy(tenantId) // anything a straggler wrote meanwhile
    await redis.del(tenantDeletionKey(tenantId))
    const report = { revoked, revokeFailed: failed, jobs, keys }
    await this.log('tenant-deleted', tenantId, by, report)
    logger.info({ tenant: tenantId, ...report }, 'organisation deleted')
    return report
  }

  /** Every connection removed and its grant revoked, a bounded number at once, in bounded time. */
  private async revokeAll(tenantId: string): Promise<{ revoked: number; failed: number }> {
    const { store, connections, logger } = this.deps
    const members = (await store.listMembers(tenantId, { offset: 0, count: 1_000_000 })).members
    const outcome = { revoked: 0, failed: 0 }
    const deadline = Date.now() + (this.deps.revokeBoundMs ?? REVOKE_BOUND_MS)
    let next = 0
    const worker = async () => {
      while (next < members.length && Date.now() < deadline) {
        const ref = refOf(tenantId, members[next++]!)
        const result = await connections.removeAndRevoke(ref).catch(() => 'failed' as const)
        if (result === 'revoked') outcome.revoked++
        if (result === 'failed') {
          outcome.failed++
          logger.warn({ tenant: tenantId, provider: ref.provider }, 'grant not revoked at deletion')
        }
      }
    }
    const bound = new Promise<void>((resolve) =>
      setTimeout(resolve, this.deps.revokeBoundMs ?? REVOKE_BOUND_MS).unref(),
    )
    await Promise.race([Promise.all(Array.from({ length: REVOKE_CONCURRENCY }, worker)), bound])
    const left = members.length - outcome.revoked - outcome.failed
    if (left > 0)
      logger.warn({ tenant: tenantId, left }, 'deletion went on without waiting for every revocation')
    outcome.failed += Math.max(0, left)
    return outcome
  }

  /** Waiting, delayed and failed jobs about the organisation (running ones find nothing left). */
  private async removeJobs(tenantId: string): Promise<number> {
    let removed = 0
    for (const name of this.deps.jobs.queueNames) {
      const queue = this.deps.jobs.queue(name)
      const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'failed', 'completed'])
      for (const job of jobs) {
        if ((job?.data as { tenantId?: string } | undefined)?.tenantId !== tenantId) continue
        await job.remove().catch(() => undefined)
        removed++
      }
    }
    return removed
  }

  private async log(action: string, tenantId: string, by: string, extra: object = {}): Promise<void> {
    const fields = Object.entries({ action, tenant: tenantId, by, at: new Date().toISOString(), ...extra })
    await this.deps.redis.xadd(OPERATOR_LOG_KEY, 'MAXLEN', '~', '10000', '*', ...fields.flat().map(String))
  }
}
