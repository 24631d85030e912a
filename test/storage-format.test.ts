import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { REDIS_URL } from './helpers/redis.js'
import { connectionKey, userKey } from '../src/redis/keys.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { hashPassword, verifyPassword } from '../src/auth/passwords.js'
import type { Grant } from '../src/providers/types.js'

let t: TestApp
let raw: Redis
const tenantId = `fmt${randomBytes(4).toString('hex')}`

beforeAll(async () => {
  t = await startTestApp({ name: 'storage-format' })
  raw = new Redis(REDIS_URL)
})
afterAll(async () => {
  raw.disconnect()
  await t.close()
})

const encoding = (key: string) => raw.object('ENCODING', `${t.prefix}${key}`)

const grant = (accessToken: string): Grant => ({
  // Token lengths as sms77 issues them: the encrypted blob is well over 64 characters.
  secrets: { accessToken, refreshToken: `rt-${randomBytes(24).toString('hex')}` },
  expiresAt: Date.now() + 3_600_000,
  obtainedAt: Date.now(),
  scopes: ['balance', 'sms'],
  accountId: '4711',
  accountLabel: 'Ops team',
})

async function newUser(email: string) {
  return t.services.users.create({
    tenantId,
    email,
    passwordHash: await hashPassword('pw pw pw pw'),
    role: 'member',
  })
}

describe('Redis memory per account (issue 13)', () => {
  it('keeps connection and user hashes in the compact listpack encoding', async () => {
    const user = await newUser('compact@format.test')
    const ref: ConnectionRef = { tenantId, userId: user.id, provider: 'sms77' }
    await t.services.connections.connect(ref, grant(`at-${randomBytes(24).toString('hex')}`), 'default')
    expect(await encoding(connectionKey(ref))).toBe('listpack')
    expect(await encoding(userKey(tenantId, user.id))).toBe('listpack')
    const stored = await t.redis.hgetall(connectionKey(ref))
    expect(Object.values(stored).every((v) => v.length <= 64 && v !== '')).toBe(true)
  })

  it('reads a connection stored with its secrets whole, and splits them at its next write', async () => {
    const user = await newUser('old-record@format.test')
    const ref: ConnectionRef = { tenantId, userId: user.id, provider: 'sms77' }
    const key = connectionKey(ref)
    const old = grant(`at-old-${randomBytes(24).toString('hex')}`)
    // As the store wrote it before: one blob, empty fields kept.
    await t.redis.hset(key, {
      secrets: t.services.cipher.encrypt(JSON.stringify(old.secrets), key),
      expiresAt: String(old.expiresAt),
      obtainedAt: String(old.obtainedAt),
      scopes: old.scopes.join(' '),
      accountId: old.accountId,
      accountLabel: old.accountLabel,
      keyId: t.services.cipher.currentKeyId,
      status: 'connected',
      statusReason: '',
      updatedAt: String(Date.now()),
      createdAt: String(Date.now()),
      checkedAt: String(Date.now()),
      generation: 'g1',
      client: 'default',
    })
    expect(await encoding(key)).toBe('hashtable')
    const record = (await t.services.store.get(ref))!
    expect(record.grant).toEqual(old)
    expect(record.generation).toBe('g1')

    const next = grant(`at-new-${randomBytes(24).toString('hex')}`)
    expect(await t.services.store.updateGrant(ref, 'g1', next)).toBe(true)
    expect((await t.services.store.get(ref))!.grant).toEqual(next)
    const fields = await t.redis.hgetall(key)
    // The refresh writes the grant, not the status (a recovery is its own move): the old
    // empty key id is gone, the status it did not touch is as it was.
    expect(fields.keyId).toBeUndefined()
    expect(fields.status).toBe('connected')
    expect(fields.secrets2).toBeDefined()
    // A hash never converts back by itself; a reconnect (a new hash) is compact again.
    await t.services.connections.connect(ref, next, 'default')
    expect(await encoding(key)).toBe('listpack')
    expect((await t.services.store.get(ref))!.grant.secrets).toEqual(next.secrets)
  })

  it('signs in a user whose password hash was stored whole, and stores a new one in parts', async () => {
    const user = await newUser('old-user@format.test')
    const whole = await hashPassword('the old password')
    await t.redis.hdel(userKey(tenantId, user.id), 'passwordHash2')
    await t.redis.hset(userKey(tenantId, user.id), 'passwordHash', whole)
    const found = await t.services.users.findForLogin('old-user@format.test')
    expect(found!.passwordHash).toBe(whole)
    expect(await verifyPassword(found!.passwordHash, 'the old password')).toBe(true)
    expect(await t.services.users.passwordHash(tenantId, user.id)).toBe(whole)

    const fresh = await hashPassword('a new password')
    await t.services.users.setPasswordHash(tenantId, user.id, fresh)
    expect(await t.services.users.passwordHash(tenantId, user.id)).toBe(fresh)
    expect((await t.services.users.findForLogin('old-user@format.test'))!.passwordHash).toBe(fresh)
    const parts = await t.redis.hmget(userKey(tenantId, user.id), 'passwordHash', 'passwordHash2')
    expect(parts.every((p) => p !== null && p.length <= 64)).toBe(true)
  })
})
