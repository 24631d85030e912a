/**
 * One keep-alive sweep over many tenants (src/keepalive/sweep.ts): tenants are read a batch
 * at a time and their jobs added together, so every due connection of every tenant must
 * still get exactly one job, a tenant with more due members than one page gets them all,
 * and the oldest check is the least recent of all tenants. Real Redis and BullMQ queues.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CheckedIndex } from '../src/connections/checked-index.js'
import { JobRuntime, jobsPrefix } from '../src/jobs/runtime.js'
import { checkQueueName } from '../src/keepalive/keepalive.js'
import { keepalivePlan } from '../src/keepalive/plan.js'
import { checkJobId, sweep, type CheckJobData } from '../src/keepalive/sweep.js'
import type { Redis } from '../src/redis/client.js'
import { createJobsRedis } from '../src/redis/client.js'
import {
  KEEPALIVE_BACKFILLED_KEY,
  KEEPALIVE_OLDEST_KEY,
  KEEPALIVE_TENANTS_KEY,
  tenantCheckedKey,
} from '../src/redis/keys.js'
import { dropPrefix, openRedis, REDIS_URL, uniquePrefix } from './helpers/redis.js'

const prefix = uniquePrefix('keepalive-sweep')
let redis: Redis
let jobs: JobRuntime
beforeAll(async () => {
  redis = await openRedis(prefix)
  jobs = new JobRuntime(createJobsRedis({ kind: 'single', url: REDIS_URL }), jobsPrefix(prefix))
})
afterAll(async () => {
  await jobs.close(2_000)
  redis.disconnect()
  await dropPrefix(prefix)
})

const NOW = 1_800_000_000_000
const plan = keepalivePlan(60) // due once checked at or before NOW - 37.5 s

describe('a keep-alive sweep', () => {
  it('queues every due connection of 70 tenants once, pages a tenant with 501 due, and finds the oldest check', async () => {
    await redis.set(KEEPALIVE_BACKFILLED_KEY, '1')
    const expected = new Set<string>()
    for (let t = 0; t < 70; t++) {
      const tenantId = `sweep-${t}`
      await redis.sadd(KEEPALIVE_TENANTS_KEY, tenantId)
      // Each tenant: one sms77 connection due (older by tenant number), one nexmo not due.
      const dueAt = NOW - 60_000 - t * 1_000
      await redis.zadd(tenantCheckedKey(tenantId), dueAt, `u${t}:sms77`, NOW - 1_000, `v${t}:nexmo`)
      expected.add(checkJobId(tenantId, `u${t}:sms77`, dueAt))
    }
    // A tenant with more due members than one page of 500, none due yet in another.
    const big = Array.from({ length: 501 }, (_, i) => [NOW - 100_000 + i, `b${i}:nexmo`] as const)
    await redis.sadd(KEEPALIVE_TENANTS_KEY, 'sweep-big', 'sweep-fresh')
    await redis.zadd(tenantCheckedKey('sweep-big'), ...big.flat())
    for (const [at, member] of big) expected.add(checkJobId('sweep-big', member, at))
    await redis.zadd(tenantCheckedKey('sweep-fresh'), NOW - 2_000, 'f:sms77')

    const queueFor = (p: 'sms77' | 'nexmo') => jobs.queue(checkQueueName(p))
    const deps = { index: new CheckedIndex(redis), plan, queueFor, random: () => 0.5 }
    const result = await sweep(deps, NOW)

    expect(result).toMatchObject({ tenants: 72, due: 571, enqueued: 571, backfilled: null })
    // The least recent check of all: tenant 69's due connection (NOW - 129 s), not the big tenant's.
    expect(result.oldest).toBe(NOW - 60_000 - 69_000)
    expect(await redis.get(KEEPALIVE_OLDEST_KEY)).toBe(String(NOW - 129_000))
    const queued = [
      ...(await queueFor('sms77').getJobs(['delayed', 'waiting'])),
      ...(await queueFor('nexmo').getJobs(['delayed', 'waiting'])),
    ]
    expect(queued).toHaveLength(571)
    expect(new Set(queued.map((j) => j.id))).toEqual(expected)
    const one = queued.find((j) => j.id === checkJobId('sweep-7', 'u7:sms77', NOW - 67_000))!
    expect(one.data as CheckJobData).toEqual({
      tenantId: 'sweep-7',
      member: 'u7:sms77',
      checkedAt: NOW - 67_000,
    })

    // A second sweep finds the same connections due and adds none twice.
    const again = await sweep(deps, NOW)
    expect(again.due).toBe(571)
    const counts = await Promise.all([queueFor('sms77').getJobCounts(), queueFor('nexmo').getJobCounts()])
    expect(counts.map((c) => c.delayed)).toEqual([70, 501])
  })
})
