import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { loadProcessConfig } from '../src/config/process.js'
import { ConnectionStore } from '../src/connections/connection-store.js'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { TenantCiphers } from '../src/crypto/tenant-ciphers.js'
import { dropPrefix, openRedis, REDIS_URL, uniquePrefix } from './helpers/redis.js'

const tc = (
  redis: ConstructorParameters<typeof TenantCiphers>[0],
  ...keys: ConstructorParameters<typeof TokenCipher>
) => new TenantCiphers(redis, new TokenCipher(...keys))

/**
 * One way to read a process's configuration, for the server and the operator CLI alike:
 * `.env` (the shell wins), `*_FILE` secrets, and the generated development secrets.
 */
const VARS = [
  'NODE_ENV',
  'TOKEN_ENCRYPTION_KEY',
  'SESSION_SECRET',
  'SIGNUP',
  'SMTP_URL_FILE',
  'MAIL_FROM',
  'DEV_SECRETS_FILE',
  'BASE_URL',
]
let dir: string
let saved: Record<string, string | undefined>

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sb-config-process-'))
  saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]))
  for (const v of VARS) delete process.env[v]
  process.env.NODE_ENV = 'development'
})
afterEach(() => {
  for (const v of VARS)
    if (saved[v] === undefined) delete process.env[v]
    else process.env[v] = saved[v]
  rmSync(dir, { recursive: true, force: true })
})

describe('loadProcessConfig', () => {
  it('reads .env in the project folder, with *_FILE secrets, and lets the shell win', () => {
    const key = randomBytes(32).toString('base64')
    writeFileSync(path.join(dir, 'smtp_url'), 'smtp://mailer:pw@mail.example.com:587\n')
    writeFileSync(
      path.join(dir, '.env'),
      [
        `TOKEN_ENCRYPTION_KEY=${key}`,
        `SESSION_SECRET=${'s'.repeat(40)}`,
        'SIGNUP=closed',
        `SMTP_URL_FILE=${path.join(dir, 'smtp_url')}`,
        'MAIL_FROM=From Dot Env <env@example.com>',
      ].join('\n'),
    )
    process.env.MAIL_FROM = 'From The Shell <shell@example.com>'
    const config = loadProcessConfig(dir)
    expect(config.tokenKeys[0]!.toString('base64')).toBe(key)
    expect(config.tokenKeyConfigured).toBe(true)
    expect(config.signupOpen).toBe(false)
    expect(config.mail).toEqual({
      smtpUrl: 'smtp://mailer:pw@mail.example.com:587',
      from: 'From The Shell <shell@example.com>',
    })
  })

  it('outside production, generates the development secrets once and reads them back', () => {
    const first = loadProcessConfig(dir)
    const stored = JSON.parse(
      readFileSync(path.join(dir, '.switchboard-dev-secrets.json'), 'utf8'),
    ) as Record<string, string>
    expect(first.tokenKeys[0]!.toString('base64')).toBe(stored.TOKEN_ENCRYPTION_KEY)
    expect(first.sessionSecret).toBe(stored.SESSION_SECRET)
    const second = loadProcessConfig(dir)
    expect(second.tokenKeys[0]!.equals(first.tokenKeys[0]!)).toBe(true)
    expect(second.sessionSecret).toBe(first.sessionSecret)
    // DEV_SECRETS_FILE moves it (the image keeps it on its data volume).
    process.env.DEV_SECRETS_FILE = path.join(dir, 'elsewhere.json')
    const moved = loadProcessConfig(dir)
    const there = JSON.parse(readFileSync(path.join(dir, 'elsewhere.json'), 'utf8')) as Record<string, string>
    expect(moved.sessionSecret).toBe(there.SESSION_SECRET)
  })
})

describe('the operator CLI', () => {
  const prefix = uniquePrefix('cli-dev-secrets')
  const cliDir = mkdtempSync(path.join(tmpdir(), 'sb-cli-secrets-'))
  const secretsFile = path.join(cliDir, 'dev-secrets.json')
  afterAll(async () => {
    rmSync(cliDir, { recursive: true, force: true })
    await dropPrefix(prefix)
  })

  async function admin(...args: string[]): Promise<string> {
    const { BASE_URL: _vite, TOKEN_ENCRYPTION_KEY: _k, SESSION_SECRET: _s, ...env } = process.env
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src/boot/admin-cli.ts', ...args],
      {
        env: {
          ...env,
          NODE_ENV: 'development',
          SANDBOX: '1',
          REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
          DEV_SECRETS_FILE: secretsFile,
        },
      },
    )
    return stdout.trim()
  }

  it(
    'uses the server’s development secrets: seeded tokens are readable, reencrypt-tokens runs',
    { timeout: 120_000 },
    async () => {
      const devKey = randomBytes(32).toString('base64')
      writeFileSync(
        secretsFile,
        JSON.stringify({ SESSION_SECRET: 'd'.repeat(43), TOKEN_ENCRYPTION_KEY: devKey }),
        { mode: 0o600 },
      )
      const slug = await admin('create-tenant', '--name', 'Dev Secrets Demo')
      await admin('seed-demo', '--tenant', slug, '--accounts', '3')
      const redis = await openRedis(prefix)
      try {
        // What the server (same secrets file) reads: every seeded token decrypts with its key.
        const store = new ConnectionStore(redis, tc(redis, [Buffer.from(devKey, 'base64')]))
        const { members, total } = await store.listMembers(slug, { offset: 0, count: 10 })
        expect(total).toBe(3)
        for (const member of members) {
          const [userId, provider] = member.split(':') as [string, 'sms77' | 'nexmo']
          const record = await store.get({ tenantId: slug, userId, provider })
          expect(record?.grant.secrets.accessToken).toBeTruthy()
        }
      } finally {
        redis.disconnect()
      }
      expect(await admin('reencrypt-tokens')).toMatch(
        /connections: 0 re-encrypted, 3 already current, 0 failed/,
      )
    },
  )
})
