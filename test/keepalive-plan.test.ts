import { describe, expect, it } from 'vitest'
import { jitter, keepalivePlan } from '../src/keepalive/plan.js'
import { checkJobId } from '../src/keepalive/sweep.js'

describe('keep-alive plan', () => {
  it('with the default day: an hourly sweep, up to 30 min of jitter, each connection used every 22.5 to 24 h', () => {
    expect(keepalivePlan(86_400)).toEqual({
      periodMs: 86_400_000,
      sweepEveryMs: 3_600_000,
      maxJitterMs: 1_800_000,
      dueAfterMs: 81_000_000,
      attempts: 5,
      backoffMs: 60_000,
    })
  })

  it('finds and runs a due connection within its period, however short', () => {
    for (const sec of [2, 5, 60, 3_600, 86_400, 14 * 86_400]) {
      const p = keepalivePlan(sec)
      expect(p.dueAfterMs + p.sweepEveryMs + p.maxJitterMs).toBeLessThanOrEqual(p.periodMs)
      expect(p.sweepEveryMs).toBeLessThanOrEqual(3_600_000)
      expect(jitter(p, () => 0.999_999)).toBeLessThanOrEqual(p.maxJitterMs)
    }
  })

  it('names a job by connection and check, without the colons BullMQ refuses in custom ids', () => {
    expect(checkJobId('acme', 'u1:sms77', 1_700_000_000_000)).toBe('ka/acme/u1/sms77/1700000000000')
    expect(checkJobId('a/b', 'u:1:nexmo', 5)).not.toContain(':')
  })
})
