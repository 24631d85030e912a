import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CheckedIndex } from '../src/connections/checked-index.js'
import { ConnectionStore, type ConnectionRef } from '../src/connections/connection-store.js'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { TenantCiphers } from '../src/crypto/tenant-ciphers.js'
import type { Grant } from '../src/providers/types.js'
import type { Redis } from '../src/redis/client.js'
import { KEEPALIVE_TENANTS_KEY, tenantCheckedKey } from '../src/redis/keys.js'
import { dropPrefix, openRedis, uniquePrefix } from './helpers/redis.js'

const tc = (
  redis: ConstructorParameters<typeof TenantCiphers>[0],
  ...keys: ConstructorParameters<typeof TokenCipher>
) => new TenantCiphers(redis, new TokenCipher(...keys))

let redis: Redis
let store: ConnectionStore
let index: CheckedIndex
const prefix = uniquePrefix('keepalive-index')
beforeAll(async () => {
  redis = await openRedis(prefix)
  store = new ConnectionStore(redis, tc(redis, [randomBytes(32)]))
  index = new CheckedIndex(redis)
})
afterAll(async () => {
  redis.disconnect()
  await dropPrefix(prefix)
})

const grant = (obtainedAt: number): Grant => ({
  secrets: { accessToken: 'a', refreshToken: 'r' },
  expiresAt: obtainedAt + 3_600_000,
  obtainedAt,
  scopes: [],
  accountId: '1',
  accountLabel: 'x',
})

const scores = async (tenantId: string) =>
  Object.fromEntries((await index.due(tenantId, Date.now() + 1, 0, 100)).map((e) => [e.member, e.checkedAt]))

describe('keep-alive index', () => {
  it('follows connect, refresh, check, needs reconnect, reconnect and disconnect in the same scripts', async () => {
    const ref: ConnectionRef = { tenantId: 'idx-a', userId: 'u1', provider: 'sms77' }
    await store.saveGrant(ref, grant(1_000))
    expect(await scores('idx-a')).toEqual({ 'u1:sms77': 1_000 })
    expect(await redis.sismember(KEEPALIVE_TENANTS_KEY, 'idx-a')).toBe(1)

    const gen = (await store.get(ref))!.generation
    expect(await store.markChecked(ref, gen, 2_000)).toBe(true)
    expect(await scores('idx-a')).toEqual({ 'u1:sms77': 2_000 })
    // A fenced write moves nothing.
    expect(await store.markChecked(ref, 'other', 3_000)).toBe(false)
    expect(await index.checkedAt('idx-a', 'u1:sms77')).toBe(2_000)

    const before = Date.now()
    expect(await store.updateGrant(ref, gen, grant(before))).toBe(true)
    expect(await index.checkedAt('idx-a', 'u1:sms77')).toBeGreaterThanOrEqual(before)

    expect(await store.markNeedsReconnect(ref, gen, 'dead')).toBe(true)
    expect(await scores('idx-a')).toEqual({})
    await store.saveGrant(ref, grant(5_000))
    expect(await scores('idx-a')).toEqual({ 'u1:sms77': 5_000 })
    await store.remove(ref)
    expect(await scores('idx-a')).toEqual({})
    expect(await index.oldest('idx-a')).toBeNull()
  })

  it('backfills connections stored before the index once, skipping those that need reconnect', async () => {
    const live: ConnectionRef = { tenantId: 'idx-b', userId: 'u1', provider: 'nexmo' }
    const dead: ConnectionRef = { tenantId: 'idx-b', userId: 'u2', provider: 'sms77' }
    await store.saveGrant(live, grant(7_000))
    await store.saveGrant(dead, grant(8_000))
    await store.markNeedsReconnect(dead, (await store.get(dead))!.generation, 'dead')
    // As an older version left them: no index, no tenant entry, no checkedAt on one.
    await redis.del(tenantCheckedKey('idx-b'))
    await redis.srem(KEEPALIVE_TENANTS_KEY, 'idx-b')
    await redis.hdel(`t:{idx-b}:conn:u1:nexmo`, 'checkedAt')

    expect(await index.backfillOnce()).toBeGreaterThanOrEqual(1)
    expect(await scores('idx-b')).toEqual({ 'u1:nexmo': 7_000 })
    expect(await redis.sismember(KEEPALIVE_TENANTS_KEY, 'idx-b')).toBe(1)
    expect(await index.backfillOnce()).toBeNull()
  })
})
