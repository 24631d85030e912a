import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, describe, expect, it } from 'vitest'
import { UserStore } from '../src/auth/user-store.js'
import { ConnectionStore, type ConnectionRef } from '../src/connections/connection-store.js'
import { connectionKey } from '../src/redis/keys.js'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { TenantCiphers } from '../src/crypto/tenant-ciphers.js'
import type { Redis } from '../src/redis/client.js'
import { signUpAndConnectSms77, startAppProcess, waitUntilServing } from './helpers/app-process.js'
import { dropPrefix, openRedis, uniquePrefix } from './helpers/redis.js'
import { freePort, waitFor } from './helpers/redis-server.js'

const tc = (
  redis: ConstructorParameters<typeof TenantCiphers>[0],
  ...keys: ConstructorParameters<typeof TokenCipher>
) => new TenantCiphers(redis, new TokenCipher(...keys))

/**
 * The real entry point in its own process: SIGTERM arrives while a dashboard request is
 * in the middle of a token refresh (the sandbox's token endpoint is slowed to 500 ms).
 * The request must finish, the rotated token must be stored, the lock released, exit 0.
 */
const prefix = uniquePrefix('shutdown')
const key = randomBytes(32)
let child: ChildProcess | undefined
let redis: Redis | undefined

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  redis?.disconnect()
  await dropPrefix(prefix)
})

describe('graceful shutdown', () => {
  it('finishes a refresh in flight on SIGTERM, stores the rotated token, releases the lock, exits 0', async () => {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const app = startAppProcess(port, {
      SANDBOX: '1',
      SANDBOX_TOKEN_TTL: '60',
      REDIS_KEY_PREFIX: prefix,
      TOKEN_ENCRYPTION_KEY: key.toString('base64'),
      SESSION_SECRET: randomBytes(32).toString('hex'),
    })
    child = app.proc
    await waitUntilServing(app)

    const { agent, email } = await signUpAndConnectSms77(base, 'shutdown')

    redis = await openRedis(prefix)
    const user = (await new UserStore(redis).findForLogin(email))!.user
    const ref: ConnectionRef = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' }
    const store = new ConnectionStore(redis, tc(redis, [key]))
    const before = (await store.get(ref))!.grant
    // Due now, and the sandbox's token endpoint slow: the next dashboard view refreshes.
    await store.saveGrant(ref, { ...before, expiresAt: Date.now() - 1 })
    const control = await fetch(`${base}/sandbox/_control`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ faults: { tokenLatencyMs: 500 } }),
    })
    expect(control.status).toBe(200)

    const lockKey = `${connectionKey(ref)}:refresh-lock`
    const inflight = agent
      .get('/dashboard')
      .timeout(15_000)
      .then((r) => r)
    await waitFor('the refresh lock to be taken', async () => (await redis!.exists(lockKey)) === 1, 5_000)
    await sleep(150) // the token request is now waiting out its 500 ms at the sandbox
    app.proc.kill('SIGTERM')

    // It completes: 200, though its balance panel says the sandbox could not be reached,
    // as the sandbox lives in the process that has stopped accepting connections.
    const page = await inflight
    expect(page.status).toBe(200)
    const answeredAt = Date.now()
    const code = await Promise.race([app.exit, sleep(15_000).then(() => 'timeout' as const)])
    expect(code, app.output()).toBe(0)
    // Idle keep-alive connections do not hold the exit for their whole keep-alive timeout.
    expect(Date.now() - answeredAt).toBeLessThan(3_000)
    expect(app.output()).toContain('shutting down')

    const after = (await store.get(ref))!.grant
    expect(after.secrets.refreshToken).toBeTruthy()
    expect(after.secrets.refreshToken).not.toBe(before.secrets.refreshToken)
    expect(after.secrets.accessToken).not.toBe(before.secrets.accessToken)
    expect(after.expiresAt!).toBeGreaterThan(Date.now())
    expect(await redis.exists(lockKey)).toBe(0)
  }, 60_000)
})
