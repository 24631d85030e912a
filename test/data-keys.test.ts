import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import {
  connectionKey,
  ssoSettingsKey,
  tenantCredentialsKey,
  twoStepKey,
  webhookSettingsKey,
} from '../src/redis/keys.js'
import { dataKeyKey } from '../src/redis/data-keys.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { TenantCiphers } from '../src/crypto/tenant-ciphers.js'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { migrateToDataKeysOnce, rotateTenantKey } from '../src/ops/reencrypt.js'
import { hashPassword } from '../src/auth/passwords.js'
import type { Grant } from '../src/providers/types.js'

/**
 * Issue 27: a data key per organisation, wrapped by TOKEN_ENCRYPTION_KEY; values of an
 * install from before (sealed with TOKEN_ENCRYPTION_KEY directly) keep working and move
 * onto the data key on start-up; one organisation's key rotates alone.
 */
let t: TestApp
const tenantA = `dka${randomBytes(3).toString('hex')}`
const tenantB = `dkb${randomBytes(3).toString('hex')}`

beforeAll(async () => {
  t = await startTestApp({ name: 'data-keys' })
})
afterAll(() => t.close())

const grant = (accessToken: string): Grant => ({
  secrets: { accessToken, refreshToken: `rt-${randomBytes(24).toString('hex')}` },
  expiresAt: Date.now() + 3_600_000,
  obtainedAt: Date.now(),
  scopes: ['balance'],
  accountId: '4711',
  accountLabel: 'Ops team',
})

async function user(tenantId: string, email: string) {
  const passwordHash = await hashPassword('pw pw pw pw')
  return t.services.users.create({ tenantId, email, passwordHash, role: 'admin' })
}

describe('data keys per organisation', () => {
  it('reads a store written in the format from before data keys, and migrates it on start-up', async () => {
    const legacy = t.services.cipher // TOKEN_ENCRYPTION_KEY itself, as every value was sealed before
    const u = await user(tenantA, `old-${tenantA}@keys.test`)
    const ref: ConnectionRef = { tenantId: tenantA, userId: u.id, provider: 'sms77' }
    const key = connectionKey(ref)
    const old = grant(`at-${randomBytes(24).toString('hex')}`)
    await t.redis.hset(key, {
      secrets: legacy.encrypt(JSON.stringify(old.secrets), key),
      keyId: legacy.currentKeyId,
      ...{ expiresAt: String(old.expiresAt), obtainedAt: String(old.obtainedAt), scopes: 'balance' },
      ...{ accountId: old.accountId, accountLabel: old.accountLabel, status: 'connected' },
      ...{
        createdAt: String(Date.now()),
        checkedAt: String(Date.now()),
        generation: 'g1',
        client: 'default',
      },
    })
    await t.redis.zadd(`t:{${tenantA}}:conns`, Date.now(), `${u.id}:sms77`)
    const credAad = `${tenantCredentialsKey(tenantA)}:sms77`
    await t.redis.hset(
      tenantCredentialsKey(tenantA),
      'sms77',
      JSON.stringify({
        id: 'own-client',
        secret: legacy.encrypt('own-secret', credAad),
        version: 'v9',
        updatedAt: 1,
      }),
    )
    const hookKey = webhookSettingsKey(tenantA)
    await t.redis.hset(hookKey, {
      url: 'https://hooks.example.test/a',
      secret: legacy.encrypt(JSON.stringify({ current: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=' }), hookKey),
      updatedAt: '1',
    })
    await t.redis.hset(
      ssoSettingsKey(tenantA),
      'secret',
      legacy.encrypt('sso-secret', `sso-client:${tenantA}:client`),
    )
    await t.redis.hset(
      twoStepKey(tenantA, u.id),
      'secret',
      legacy.encrypt('TOTPSECRET', `totp:${tenantA}:${u.id}`),
    )

    // Before the migration every value still opens.
    expect((await t.services.store.get(ref))!.grant.secrets).toEqual(old.secrets)
    expect((await t.services.tenantCredentials.get(tenantA, 'sms77'))?.secret).toBe('own-secret')

    const report = (await migrateToDataKeysOnce(t.redis, t.services.ciphers))!
    expect(report.connections).toMatchObject({ reencrypted: 1, failed: 0 })
    expect(report.credentials).toMatchObject({ reencrypted: 1, failed: 0 })
    expect(report.webhooks).toMatchObject({ reencrypted: 1, failed: 0 })
    expect(report.signin).toMatchObject({ reencrypted: 2, failed: 0 })
    expect(await migrateToDataKeysOnce(t.redis, t.services.ciphers)).toBeNull() // once

    const stored = await t.redis.hgetall(key)
    expect(stored.secrets).toMatch(/^v2\./)
    expect(stored.keyId).toBeUndefined()
    expect((await t.redis.hget(twoStepKey(tenantA, u.id), 'secret'))!).toMatch(/^v2\./)
    // The connection is not lost: same tokens, same generation, still connected.
    const after = (await t.services.store.get(ref))!
    expect(after.grant.secrets).toEqual(old.secrets)
    expect(after.generation).toBe('g1')
    expect(after.status).toBe('connected')
    expect((await t.services.tenantCredentials.get(tenantA, 'sms77'))?.secret).toBe('own-secret')
    expect((await t.services.webhooks.get(tenantA))?.secrets).toEqual(['whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ='])
    const sso = (await t.redis.hget(ssoSettingsKey(tenantA), 'secret'))!
    expect(sso).toMatch(/^v2\./)
    expect(await t.services.ciphers.open(tenantA, sso, `sso-client:${tenantA}:client`)).toBe('sso-secret')
  })

  it('keeps the data key only wrapped by TOKEN_ENCRYPTION_KEY, with its key id', async () => {
    const h = await t.redis.hgetall(dataKeyKey(tenantA))
    expect(h.current).toMatch(/^[0-9a-f]{12}$/)
    expect(h[`k:${h.current}`]).toMatch(new RegExp(`^v1\\.${t.services.cipher.currentKeyId}\\.`))
    // Another key-encryption key cannot unwrap it.
    const other = new TenantCiphers(t.redis, new TokenCipher([randomBytes(32)]))
    await expect(other.forTenant(tenantA)).rejects.toMatchObject({ code: 'decrypt_failed' })
  })

  it("rotates one organisation's data key, re-encrypting its values and leaving another's alone", async () => {
    const u = await user(tenantB, `b-${tenantB}@keys.test`)
    const ref: ConnectionRef = { tenantId: tenantB, userId: u.id, provider: 'sms77' }
    const g = grant('at-b')
    await t.services.connections.connect(ref, g, 'default')
    const beforeB = await t.redis.hget(dataKeyKey(tenantB), 'current')
    const beforeA = await t.redis.hget(dataKeyKey(tenantA), 'current')
    const report = await rotateTenantKey(t.redis, t.services.ciphers, tenantA)
    expect(report.connections).toEqual({ reencrypted: 1, current: 0, failed: 0 })
    expect(report.signin).toEqual({ reencrypted: 2, current: 0, failed: 0 })
    const nowA = await t.redis.hget(dataKeyKey(tenantA), 'current')
    expect(nowA).not.toBe(beforeA)
    const owner = (await t.services.users.findForLogin(`old-${tenantA}@keys.test`))!.user
    const blob = await t.redis.hget(
      connectionKey({ tenantId: tenantA, userId: owner.id, provider: 'sms77' }),
      'secrets',
    )
    expect(blob!.split('.')[1]).toBe(nowA)
    expect(await t.redis.hget(dataKeyKey(tenantB), 'current')).toBe(beforeB)
    expect((await t.services.store.get(ref))!.grant.secrets).toEqual(g.secrets)
    // The retired key is dropped once instances' caches moved on; values still open.
    expect(await t.services.ciphers.dropRetired(tenantA, 0)).toBe(1)
    const fresh = new TenantCiphers(t.redis, t.services.cipher)
    expect((await fresh.forTenant(tenantA)).currentKeyId).toBe(nowA)
    expect(Object.keys(await t.redis.hgetall(dataKeyKey(tenantA))).filter((f) => f.startsWith('k:'))).toEqual(
      [`k:${nowA}`],
    )
    expect((await t.services.tenantCredentials.get(tenantA, 'sms77'))?.secret).toBe('own-secret')
  })

  it('counts GCM encryptions per data key in Redis and replaces the key at the bound', async () => {
    const tenantC = `dkc${randomBytes(3).toString('hex')}`
    const ciphers = new TenantCiphers(t.redis, t.services.cipher, { rotateAfter: 3 })
    const first = await ciphers.forTenant(tenantC)
    const sealed = [first.encrypt('a', 'x'), first.encrypt('b', 'x')]
    await expect.poll(() => t.redis.hget(dataKeyKey(tenantC), `n:${first.currentKeyId}`)).toBe('2')
    first.encrypt('c', 'x')
    await expect
      .poll(async () => (await t.redis.hget(dataKeyKey(tenantC), 'current')) !== first.currentKeyId)
      .toBe(true)
    const next = await ciphers.forTenant(tenantC)
    expect(next.currentKeyId).not.toBe(first.currentKeyId)
    // Values sealed with the replaced key still open (decryption does not count against it).
    expect(next.decrypt(sealed[0]!, 'x')).toBe('a')
  })
})
