import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/boot/app.js'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { TenantCiphers } from '../src/crypto/tenant-ciphers.js'
import { createLogger } from '../src/logging/logger.js'
import { WebhookStore } from '../src/notifications/webhook-store.js'
import { reencryptAll } from '../src/ops/reencrypt.js'
import { signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { keysUnder, REDIS_URL } from './helpers/redis.js'
import { TEST_SMS77_CLIENT } from './helpers/sandbox-server.js'

const tc = (
  redis: ConstructorParameters<typeof TenantCiphers>[0],
  ...keys: ConstructorParameters<typeof TokenCipher>
) => new TenantCiphers(redis, new TokenCipher(...keys))

/**
 * Rotating TOKEN_ENCRYPTION_KEY: tokens written under the old key, the configuration
 * rotated (new key first, old key kept for reading), `reencrypt-tokens` run, and then an
 * app that knows only the new key still reads every token.
 */
const run = promisify(execFile)
const oldKey = randomBytes(32)
const newKey = randomBytes(32)
const kid = (k: Buffer) => createHash('sha256').update(k).digest('hex').slice(0, 8)
let t: TestApp
let agent: Agent
let tenantId: string

beforeAll(async () => {
  t = await startTestApp({ name: 'key-rotation', env: { TOKEN_ENCRYPTION_KEY: oldKey.toString('base64') } })
  const s = await signUp(t.app, 'Rotation Org')
  agent = s.agent
  tenantId = (await t.services.users.findForLogin(s.email))!.user.tenantId
  // The tenant's own (white-label) client, encrypted like tokens: the sandbox knows it.
  await t.services.tenantCredentials.set(tenantId, 'sms77', TEST_SMS77_CLIENT)
  await t.services.webhooks.set(tenantId, 'https://hooks.example.test/switchboard', 'whsec-0123456789')
  await connectSms77(t, agent, ['balance'])
  await connectNexmo(agent)
})
afterAll(() => t.close())

async function admin(env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number }> {
  // Vitest exports Vite's BASE_URL=/ into the environment; the CLI would rightly reject it.
  const {
    BASE_URL: _vite,
    TOKEN_ENCRYPTION_KEY: _k,
    TOKEN_ENCRYPTION_OLD_KEYS: _o,
    ...inherited
  } = process.env
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/boot/admin-cli.ts', 'reencrypt-tokens'],
      { env: { ...inherited, REDIS_URL, REDIS_KEY_PREFIX: t.prefix, ...env }, timeout: 30_000 },
    )
    return { stdout: stdout.trim(), stderr, code: 0 }
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number }
    return { stdout: err.stdout.trim(), stderr: err.stderr, code: err.code }
  }
}

/** Every key id found in a stored encrypted blob (`v1.<kid>.…`) or a `keyId` field. */
async function storedKeyIds(): Promise<Set<string>> {
  const ids = new Set<string>()
  for (const key of await keysUnder(t.prefix)) {
    if ((await t.redis.type(key)) !== 'hash') continue
    for (const [field, value] of Object.entries(await t.redis.hgetall(key))) {
      if (field === 'keyId') ids.add(value)
      for (const m of value.matchAll(/\bv1\.([0-9a-f]{8})\./g)) ids.add(m[1]!)
    }
  }
  return ids
}

describe('reencrypt-tokens', () => {
  it('refuses to run without TOKEN_ENCRYPTION_KEY', async () => {
    // Nor a development secrets file to take it from (the CLI reads that as the server does).
    const res = await admin({ DEV_SECRETS_FILE: '/nonexistent/switchboard/dev-secrets.json' })
    expect(res.code).toBe(2)
    expect(res.stderr).toMatch(/needs TOKEN_ENCRYPTION_KEY/)
  })

  it('re-wraps the data keys under the new key, which alone then reads every token, credential and webhook secret', async () => {
    expect(await storedKeyIds()).toEqual(new Set([kid(oldKey)]))
    const res = await admin({
      TOKEN_ENCRYPTION_KEY: newKey.toString('base64'),
      TOKEN_ENCRYPTION_OLD_KEYS: oldKey.toString('base64'),
    })
    expect(res.stderr).toBe('')
    expect(res.code).toBe(0)
    // Tokens and secrets are sealed with the organisation's data key: only that key is re-wrapped.
    expect(res.stdout).toBe(
      'data keys: 1 re-encrypted, 0 already current, 0 failed\n' +
        'connections: 0 re-encrypted, 2 already current, 0 failed\n' +
        'tenant credentials: 0 re-encrypted, 1 already current, 0 failed\n' +
        'webhook secrets: 0 re-encrypted, 1 already current, 0 failed\n' +
        'sign-in secrets: 0 re-encrypted, 0 already current, 0 failed',
    )
    expect(await storedKeyIds()).toEqual(new Set([kid(newKey)]))

    // A second run finds nothing left to do.
    const again = await reencryptAll(t.redis, tc(t.redis, [newKey, oldKey]))
    expect(again.dataKeys).toEqual({ reencrypted: 0, current: 1, failed: 0 })

    // An instance configured with the new key only (old key removed) serves the dashboard.
    const onlyNew = createApp({
      config: { ...t.config, tokenKeys: [newKey] },
      redis: t.redis,
      logger: createLogger('silent'),
      panelCacheTtlSec: 0,
    })
    const cookie = (await agent.get('/dashboard')).request.cookies
    const dash = await supertest(onlyNew).get('/dashboard').set('Cookie', cookie).expect(200)
    expect(dash.text).not.toContain('could not be read')
    expect(dash.text.match(/<span class="badge ok">connected<\/span>/g)).toHaveLength(2)
    expect(dash.text).toMatch(/class="stat-big">[\d.,]+ EUR/)
    const hook = await new WebhookStore(t.redis, tc(t.redis, [newKey])).get(tenantId)
    // A secret stored before Standard Webhooks keeps its bytes as the key.
    expect(hook?.secrets).toEqual([`whsec_${Buffer.from('whsec-0123456789').toString('base64')}`])
  })

  it('counts what no configured key can decrypt as failed and exits 1', async () => {
    const res = await admin({ TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64') })
    expect(res.code).toBe(1)
    expect(res.stdout).toMatch(/^connections: 0 re-encrypted, 0 already current, 2 failed$/m)
    expect(await storedKeyIds()).toEqual(new Set([kid(newKey)]))
  })
})
