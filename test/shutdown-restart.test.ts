import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import supertest from 'supertest'
import { afterAll, describe, expect, it } from 'vitest'
import { UserStore } from '../src/auth/user-store.js'
import { ConnectionStore, type ConnectionRef } from '../src/connections/connection-store.js'
import { refreshLockKey } from '../src/redis/keys.js'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { TenantCiphers } from '../src/crypto/tenant-ciphers.js'
import type { Redis } from '../src/redis/client.js'
import { csrfFrom, providerEnv } from './helpers/app.js'
import {
  signUpAndConnectSms77,
  startAppProcess,
  waitUntilServing,
  type AppProcess,
} from './helpers/app-process.js'
import { dropPrefix, openRedis, uniquePrefix } from './helpers/redis.js'
import { freePort, waitFor } from './helpers/redis-server.js'
import { startSandbox, type RunningSandbox } from './helpers/sandbox-server.js'

const tc = (
  redis: ConstructorParameters<typeof TenantCiphers>[0],
  ...keys: ConstructorParameters<typeof TokenCipher>
) => new TenantCiphers(redis, new TokenCipher(...keys))

/**
 * A deploy: SIGTERM while a refresh waits at sms77 for longer than the dashboard's panel
 * deadline, so the page has already answered when the signal comes. The provider (its own
 * server here, as in production) rotates the refresh token; the process must store the
 * rotation before it exits, so that the next process finds a connection that still works.
 */
const prefix = uniquePrefix('shutdown-restart')
const key = randomBytes(32)
const sessionSecret = randomBytes(32).toString('hex')
const running: AppProcess[] = []
let redis: Redis | undefined
let sandbox: RunningSandbox | undefined

afterAll(async () => {
  for (const app of running) if (app.proc.exitCode === null) app.proc.kill('SIGKILL')
  redis?.disconnect()
  await sandbox?.close()
  await dropPrefix(prefix)
})

async function boot(): Promise<AppProcess> {
  const app = startAppProcess(await freePort(), {
    ...providerEnv(sandbox!),
    REDIS_KEY_PREFIX: prefix,
    TOKEN_ENCRYPTION_KEY: key.toString('base64'),
    SESSION_SECRET: sessionSecret,
  })
  running.push(app)
  await waitUntilServing(app)
  return app
}

describe('a deploy in the middle of a refresh', () => {
  it('stores the rotation before exiting, so the restarted app still has a working connection', async () => {
    sandbox = await startSandbox()
    const first = await boot()
    const { agent, email } = await signUpAndConnectSms77(first.base, 'restart')

    redis = await openRedis(prefix)
    const user = (await new UserStore(redis).findForLogin(email))!.user
    const ref: ConnectionRef = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' }
    const store = new ConnectionStore(redis, tc(redis, [key]))
    const before = (await store.get(ref))!.grant
    await store.saveGrant(ref, { ...before, expiresAt: Date.now() - 1 })
    // Longer than the panel deadline (2.5 s): the page answers while the refresh still waits.
    sandbox.control.faults.tokenLatencyMs = 4_000

    const lockKey = refreshLockKey(ref)
    const page = agent
      .get('/dashboard')
      .timeout(15_000)
      .then((r) => r)
    await waitFor('the refresh lock to be taken', async () => (await redis!.exists(lockKey)) === 1, 5_000)
    expect((await page).status).toBe(200)
    // The page has answered; the token request is still at the provider.
    expect(await redis.exists(lockKey)).toBe(1)
    first.proc.kill('SIGTERM')
    const code = await Promise.race([first.exit, sleep(30_000).then(() => 'timeout' as const)])
    expect(code, first.output()).toBe(0)

    const after = (await store.get(ref))!.grant
    expect(after.secrets.refreshToken).not.toBe(before.secrets.refreshToken)
    expect(sandbox.control.sms77RefreshTokens()).toContain(after.secrets.refreshToken)
    expect(await redis.exists(lockKey)).toBe(0)

    sandbox.control.faults.tokenLatencyMs = 0
    const second = await boot()
    const again = supertest.agent(second.base)
    const login = await again.get('/login').expect(200)
    await again
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), email, password: 'correct horse battery' })
      .expect(303)
    await store.saveGrant(ref, { ...after, expiresAt: Date.now() - 1 })
    const dash = await again.get('/dashboard').expect(200)
    expect(dash.text).toContain('<span class="badge ok">connected</span>')
    expect(dash.text).not.toContain('needs reconnect')
    second.proc.kill('SIGTERM')
    expect(await second.exit).toBe(0)
  }, 90_000)
})
