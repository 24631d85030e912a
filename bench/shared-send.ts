import { buildServices } from '../src/boot/services.js'
import { loadConfig } from '../src/config/config.js'
import { createLogger } from '../src/logging/logger.js'
import { createRedis, type RedisClient } from '../src/redis/client.js'
import { emailKey } from '../src/redis/keys.js'
import { sharedRef } from '../src/connections/owner.js'
import type { ConnectionRef } from '../src/connections/record.js'
import { pathOf, pressConsent } from '../test/helpers/consent.js'
import type { BenchContext } from './lib/context.js'
import { connectSms77, signUp } from './lib/flows.js'
import { REDIS_URL } from './lib/redis.js'
import type { BenchOutcome } from './lib/report.js'

const SENDS = 20

/**
 * 9. What a send through the organisation's shared connection costs in Redis round trips
 * over one through a person's own (issue 22: at most one more). Counted, not timed: the
 * send path runs in this process on a client whose commands are grouped into round trips
 * (everything written in one tick, as a pipeline or MULTI is, is one), against the same
 * sandbox and Redis as the app.
 */
export async function sharedSend(ctx: BenchContext): Promise<BenchOutcome> {
  const admin = await signUp(ctx.app.origin, 'shared')
  await connectSms77(admin, ['balance', 'sms'])
  await admin.readCsrf('/admin/connections')
  const begun = await admin.post('/admin/connections/sms77/connect', {
    _csrf: admin.csrf,
    scope: ['balance', 'sms'],
  })
  const consent = await pressConsent(begun.location, 'Allow')
  const done = await admin.get(pathOf(consent.location))
  if (done.location !== '/admin/connections') throw new Error(`shared connect answered ${done.status}`)
  const owner = await ctx.redis.get(emailKey(admin.email))
  const [tenantId, userId] = (owner ?? '').split(':') as [string, string]

  const redis = createRedis(REDIS_URL, ctx.prefix)
  await redis.connect()
  const counter = countRoundTrips(redis)
  const config = loadConfig({ ...ctx.env, NODE_ENV: 'test', REDIS_URL, REDIS_KEY_PREFIX: ctx.prefix })
  const logger = createLogger('silent')
  const services = buildServices({ config, redis, logger })
  const sender = { kind: 'person' as const, userId, email: admin.email, admin: true }
  const personal: ConnectionRef = { tenantId, userId, provider: 'sms77' }
  const shared = sharedRef(tenantId, 'sms77')
  const measure = async (ref: ConnectionRef) => {
    const counts: number[] = []
    for (let i = 0; i < SENDS; i++) {
      const before = counter.roundTrips
      await services.sender.send(ref, sender, { to: '+491701234567', text: `bench ${i}` })
      counts.push(counter.roundTrips - before)
    }
    return Math.max(...counts)
  }
  try {
    // One of each first, so script loading and credential reads are not counted.
    await services.sender.send(personal, sender, { to: '+491701234567', text: 'warm' })
    await services.sender.send(shared, sender, { to: '+491701234567', text: 'warm' })
    const own = await measure(personal)
    const org = await measure(shared)
    const extra = org - own
    return {
      rows: [
        {
          bench: '9 send: personal connection',
          figure: `${own} Redis round trips per send (most of ${SENDS})`,
        },
        {
          bench: '9 send: shared connection',
          figure: `${org} Redis round trips per send, ${extra} more than personal`,
          target: '≤ 1 more',
          met: extra <= 1,
        },
      ],
      data: { sends: SENDS, personalRoundTrips: own, sharedRoundTrips: org, extra },
    }
  } finally {
    await services.jobs.close(2_000)
    redis.disconnect()
  }
}

/**
 * Counts round trips: commands written in the same tick go out together (ioredis writes a
 * pipeline or MULTI in one go), so each tick with at least one command is one trip.
 */
function countRoundTrips(redis: RedisClient): { roundTrips: number } {
  const state = { roundTrips: 0 }
  let open = false
  const send = redis.sendCommand as (...args: unknown[]) => unknown
  redis.sendCommand = function (this: RedisClient, ...args: unknown[]) {
    if (!open) {
      open = true
      state.roundTrips++
      process.nextTick(() => (open = false))
    }
    return send.apply(this, args)
  } as typeof redis.sendCommand
  return state
}
