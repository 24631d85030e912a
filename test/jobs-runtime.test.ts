import { afterAll, describe, expect, it } from 'vitest'
import { JobRuntime, jobsPrefix } from '../src/jobs/runtime.js'
import { createJobsRedis } from '../src/redis/client.js'
import { dropPrefix, keysUnder, REDIS_URL, uniquePrefix } from './helpers/redis.js'

const prefix = uniquePrefix('jobs-runtime')
afterAll(() => dropPrefix(prefix))

describe('the job runtime', () => {
  it('runs defined jobs on BullMQ under the deployment prefix and one hash tag, and counts them', async () => {
    const seen: string[] = []
    const finished: string[] = []
    const jobs = new JobRuntime(createJobsRedis({ kind: 'single', url: REDIS_URL }), jobsPrefix(prefix), {
      finished: (queue, outcome) => finished.push(`${queue}:${outcome}`),
    })
    try {
      jobs.define('echo', async (job) => {
        seen.push(String(job.data.word))
      })
      await jobs.queue('echo').add('say', { word: 'hello' })
      expect(jobs.running).toBe(false)
      expect(seen).toEqual([])
      jobs.start()
      await new Promise<void>((resolve, reject) => {
        const until = Date.now() + 10_000
        const poll = () =>
          // 'completed' is emitted after the processor returns: wait for the count too.
          finished.length
            ? resolve()
            : Date.now() > until
              ? reject(new Error('not run'))
              : setTimeout(poll, 25)
        poll()
      })
      expect(seen).toEqual(['hello'])
      expect(finished).toEqual(['echo:completed'])
      const keys = await keysUnder(prefix)
      expect(keys.length).toBeGreaterThan(0)
      expect(keys.every((k) => k.startsWith('{jobs}:echo:'))).toBe(true)
    } finally {
      await jobs.close(2_000)
    }
  })
})
