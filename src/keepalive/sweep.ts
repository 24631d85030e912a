import type { JobsOptions, Queue } from 'bullmq'
import type { CheckedEntry, CheckedIndex } from '../connections/checked-index.js'
import { refOf } from '../connections/member.js'
import type { ProviderId } from '../providers/types.js'
import { jitter, type KeepalivePlan } from './plan.js'

/** What one keep-alive job carries: which connection, and the check it was due after. */
export interface CheckJobData {
  tenantId: string
  member: string
  checkedAt: number
}

export interface SweepDeps {
  index: CheckedIndex
  plan: KeepalivePlan
  /** The keep-alive queue of a provider (one per provider: each has its own concurrency cap). */
  queueFor(provider: ProviderId): Queue | undefined
  random?: () => number
}

export interface SweepResult {
  tenants: number
  due: number
  /** Jobs handed to BullMQ (ones already queued under the same id are not added twice). */
  enqueued: number
  /** Members indexed by the one-time backfill in this sweep, or null when it had run before. */
  backfilled: number | null
  /** The least recent `checkedAt` of any connected connection, or null when there is none. */
  oldest: number | null
}

const PAGE = 500
/**
 * Tenants read at once: their reads share round trips (auto-pipelining) and their jobs one
 * addBulk per queue, where one tenant after another cost two round trips each (with a
 * 2 s period and 40 tenants, 160 a second, most of an idle sweep's work).
 */
const TENANTS_AT_ONCE = 32

interface TenantDue {
  due: CheckedEntry[]
  oldest: CheckedEntry | null
}

/**
 * One sweep for the whole deployment: every tenant's connections last checked longer
 * than `dueAfterMs` ago get one job each. The job id names the connection and the check it
 * follows, so two sweeps (or instances) that find the same due connection add it once.
 */
export async function sweep(deps: SweepDeps, now = Date.now()): Promise<SweepResult> {
  const backfilled = await deps.index.backfillOnce()
  const result: SweepResult = { tenants: 0, due: 0, enqueued: 0, backfilled, oldest: null }
  const before = now - deps.plan.dueAfterMs
  for await (const tenantIds of inBatches(deps.index.tenants(), TENANTS_AT_ONCE)) {
    const read = await Promise.all(tenantIds.map((tenantId) => readTenant(deps.index, tenantId, before)))
    const due = tenantIds.flatMap((tenantId, i) => read[i]!.due.map((entry) => ({ tenantId, ...entry })))
    result.tenants += tenantIds.length
    result.due += due.length
    for (let i = 0; i < due.length; i += PAGE) result.enqueued += await enqueue(deps, due.slice(i, i + PAGE))
    for (const { oldest } of read)
      if (oldest && (result.oldest === null || oldest.checkedAt < result.oldest))
        result.oldest = oldest.checkedAt
  }
  await deps.index.recordOldest(result.oldest)
  return result
}

/**
 * A tenant's due entries, all read before any is queued: jobs running meanwhile move
 * entries out of the range, which would shift later pages. The oldest is the first due
 * entry (they come oldest first), read apart only when none is due.
 */
async function readTenant(index: CheckedIndex, tenantId: string, before: number): Promise<TenantDue> {
  const due: CheckedEntry[] = []
  for (let offset = 0; ; offset += PAGE) {
    const page = await index.due(tenantId, before, offset, PAGE)
    due.push(...page)
    if (page.length < PAGE) break
  }
  return { due, oldest: due[0] ?? (await index.oldest(tenantId)) }
}

async function* inBatches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = []
  for await (const item of items) {
    batch.push(item)
    if (batch.length < size) continue
    yield batch
    batch = []
  }
  if (batch.length > 0) yield batch
}

async function enqueue(deps: SweepDeps, entries: (CheckedEntry & { tenantId: string })[]): Promise<number> {
  const byProvider = new Map<Queue, Parameters<Queue['addBulk']>[0]>()
  for (const { tenantId, member, checkedAt } of entries) {
    const ref = refOf(tenantId, member)
    const queue = deps.queueFor(ref.provider)
    if (!queue) continue
    const data: CheckJobData = { tenantId, member, checkedAt }
    const opts: JobsOptions = {
      jobId: checkJobId(tenantId, member, checkedAt),
      delay: jitter(deps.plan, deps.random),
      attempts: deps.plan.attempts,
      backoff: { type: 'exponential', delay: deps.plan.backoffMs },
      removeOnComplete: true,
      removeOnFail: true,
    }
    const list = byProvider.get(queue) ?? []
    list.push({ name: 'keepalive', data, opts })
    byProvider.set(queue, list)
  }
  let added = 0
  for (const [queue, jobs] of byProvider) added += (await queue.addBulk(jobs)).length
  return added
}

/**
 * Deterministic per connection and check. BullMQ refuses `:` in custom ids (members are
 * `user:provider`), so each part is URI-encoded and joined with `/`.
 */
export function checkJobId(tenantId: string, member: string, checkedAt: number): string {
  const [userId = '', provider = ''] = member.split(':')
  return ['ka', tenantId, userId, provider].map(encodeURIComponent).join('/') + `/${checkedAt}`
}
