import type { Express } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH_CACHE_MS } from '../src/api-keys/key-store.js'
import type { RedisClient } from '../src/redis/client.js'
import { csrfOf, signUp, secondInstance, startTestApp, type TestApp } from './helpers/app.js'
import { api, createApiKey } from './helpers/api.js'
import { steppedClock } from './helpers/clock.js'

// Issue 30: an API key is authenticated from a small in-process cache (AUTH_CACHE_MS).
const clock = steppedClock()
let t: TestApp
let second: Express
let secondRedis: RedisClient
beforeAll(async () => {
  t = await startTestApp({ name: 'api-key-cache' })
  ;({ app: second, redis: secondRedis } = await secondInstance(t, { clock: clock.now }))
})
afterAll(async () => {
  await t.close()
  secondRedis.disconnect()
})

describe('API keys trusted in-process for a short time', () => {
  it('a revoked key is refused at once where it was revoked, and by other instances within the cache time', async () => {
    const { agent } = await signUp(t.app)
    const key = await createApiKey(agent, 'cached', ['read'])
    await api(t.app, key).get('/api/v1/connections').expect(200)
    await api(second, key).get('/api/v1/connections').expect(200)
    // Trusted without Redis: with its hash entry gone behind the app's back, the key still works.
    const hashes = (await t.redis.keys(`${t.prefix}apikey:*`)).map((k) => k.slice(t.prefix.length))
    expect(hashes).toHaveLength(1)
    const raw = (await t.redis.get(hashes[0]!))!
    await t.redis.del(hashes[0]!)
    await api(second, key).get('/api/v1/connections').expect(200)
    await t.redis.set(hashes[0]!, raw)

    const page = await agent.get('/admin/api-keys')
    const id = /action="\/admin\/api-keys\/([a-f0-9]{16})\/revoke"/.exec(page.text)![1]
    await agent
      .post(`/admin/api-keys/${id}/revoke`)
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/admin/api-keys') })
      .expect(303)
    expect(await t.redis.exists(hashes[0]!)).toBe(0)
    // This instance revoked it: refused at once.
    await api(t.app, key).get('/api/v1/connections').expect(401)
    // Another instance trusted it moments ago: it refuses it once the cache time is over.
    await api(second, key).get('/api/v1/connections').expect(200)
    clock.advance(AUTH_CACHE_MS)
    await api(second, key).get('/api/v1/connections').expect(401)
  })
})
