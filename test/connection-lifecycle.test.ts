import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConnectionHealth } from '../src/connections/health.js'
import { ConnectionLifecycle } from '../src/connections/lifecycle.js'
import { isDue } from '../src/connections/refresher.js'
import { ConnectionStore, type ConnectionRef } from '../src/connections/connection-store.js'
import { credentialSource } from '../src/connections/credentials.js'
import { RefreshLock } from '../src/connections/refresh-lock.js'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { TenantCiphers } from '../src/crypto/tenant-ciphers.js'
import { ProviderRegistry } from '../src/providers/registry.js'
import type { Grant, Provider } from '../src/providers/types.js'
import type { Redis } from '../src/redis/client.js'
import { dropPrefix, openRedis, uniquePrefix } from './helpers/redis.js'

const tc = (
  redis: ConstructorParameters<typeof TenantCiphers>[0],
  ...keys: ConstructorParameters<typeof TokenCipher>
) => new TenantCiphers(redis, new TokenCipher(...keys))

// A provider behind the same interface whose refresh answer carries no refresh token,
// as RFC 6749 §6 allows; the service must keep the old one.
function providerWithoutRotation(): Provider & { refreshCalls: number } {
  const p = {
    refreshCalls: 0,
    id: 'sms77',
    label: 'test',
    protocol: 'oauth2',
    callbackPath: '/cb',
    scopes: [],
    refreshable: true,
    async refresh(_c: unknown, g: Grant): Promise<Grant> {
      p.refreshCalls++
      return {
        ...g,
        secrets: { accessToken: `access-${p.refreshCalls}` },
        obtainedAt: Date.now(),
        expiresAt: Date.now() + 3_600_000,
      }
    },
  }
  return p as unknown as Provider & { refreshCalls: number }
}

let redis: Redis
const prefix = uniquePrefix('connection-service')
beforeAll(async () => {
  redis = await openRedis(prefix)
})
afterAll(async () => {
  redis.disconnect()
  await dropPrefix(prefix)
})

describe('ConnectionLifecycle', () => {
  it('keeps the stored refresh token when the refresh answer has none (checked at rest)', async () => {
    const store = new ConnectionStore(redis, tc(redis, [randomBytes(32)]))
    const provider = providerWithoutRotation()
    const service = new ConnectionLifecycle({
      store,
      health: new ConnectionHealth(redis),
      lock: new RefreshLock(redis),
      providers: new ProviderRegistry([provider]),
      credentials: credentialSource({ sms77: { id: 'a', secret: 'b' } }),
      onListenerFailed: (err) => {
        throw err
      },
    })
    const ref: ConnectionRef = { tenantId: 't1', userId: 'u1', provider: 'sms77' }
    await store.saveGrant(ref, {
      secrets: { accessToken: 'access-0', refreshToken: 'refresh-original' },
      obtainedAt: Date.now() - 3_600_000,
      expiresAt: Date.now() - 1,
      scopes: [],
      accountId: '1',
      accountLabel: 'x',
    })
    const seen = await service.use(ref, async (ctx) => ctx.grant.secrets.accessToken)
    expect(seen).toBe('access-1')
    const stored = await store.get(ref)
    expect(stored!.grant.secrets).toEqual({ accessToken: 'access-1', refreshToken: 'refresh-original' })
    expect(provider.refreshCalls).toBe(1)
  })

  it('sizes the refresh margin to short token lifetimes so short tokens are not refreshed on every use', () => {
    const now = Date.now()
    const g = (obtained: number, expires: number) => ({
      secrets: { accessToken: 'a' },
      obtainedAt: obtained,
      expiresAt: expires,
      scopes: [],
      accountId: '',
      accountLabel: '',
    })
    expect(isDue(g(now, now + 3_600_000), now)).toBe(false)
    expect(isDue(g(now - 3_550_000, now + 50_000), now)).toBe(true)
    expect(isDue(g(now, now + 30_000), now)).toBe(false)
    expect(isDue(g(now - 20_000, now + 10_000), now)).toBe(true)
    expect(isDue({ ...g(now, now), expiresAt: undefined }, now)).toBe(false)
  })
})
