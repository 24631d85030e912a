/**
 * `loadConfig` over random environments: it returns a Config that keeps its invariants,
 * or throws ConfigError with one line per problem, each naming a variable and none
 * repeating a secret's value; never any other exception.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig, type Config } from '../src/config/config.js'

const KNOWN = [
  'NODE_ENV',
  'PORT',
  'HOST',
  'BASE_URL',
  'REDIS_URL',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_NAME',
  'REDIS_CLUSTER_NODES',
  'REDIS_KEY_PREFIX',
  'SESSION_SECRET',
  'TOKEN_ENCRYPTION_KEY',
  'TOKEN_ENCRYPTION_OLD_KEYS',
  'SMS77_CLIENT_ID',
  'SMS77_CLIENT_SECRET',
  'SMS77_OAUTH_URL',
  'SMS77_API_URL',
  'NEXMO_CONSUMER_KEY',
  'NEXMO_CONSUMER_SECRET',
  'NEXMO_OAUTH_URL',
  'NEXMO_API_URL',
  'SANDBOX',
  'SANDBOX_TOKEN_TTL',
  'SANDBOX_PORT',
  'LOG_LEVEL',
  'TRUST_PROXY',
  'METRICS_TOKEN',
  'WEBHOOK_ALLOW_PRIVATE',
] as const

// Values whose text must never come back in an error line.
const SECRET_NAMES = /SECRET|TOKEN_ENCRYPTION|METRICS_TOKEN|REDIS_URL/

const base64 = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b).toString('base64'))

/** Plausible and implausible values for any variable. */
const value = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '0',
      '1',
      '-1',
      '65536',
      '3000',
      '1e3',
      'NaN',
      'true',
      'no',
      'maybe',
      'production',
      'test',
      'development',
      'debug',
      'silent',
    ),
  },
  { weight: 2, arbitrary: fc.webUrl() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'ftp://example.test',
      'http://',
      'https://user:hunter2hunter2@example.test/',
      'redis://127.0.0.1:6379',
      'rediss://:hunter2hunter2@redis.test:6380/2',
      'redis://',
      'javascript:alert(1)',
      '//evil.test',
    ),
  },
  { weight: 2, arbitrary: base64(0, 48) },
  { weight: 1, arbitrary: base64(32, 32) },
  { weight: 1, arbitrary: fc.array(base64(30, 34), { maxLength: 3 }).map((a) => a.join(',')) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.tuple(fc.domain(), fc.integer({ min: -1, max: 70_000 })), { maxLength: 3 })
      .map((a) => a.map(([h, p]) => `${h}:${p}`).join(',')),
  },
)

const env = fc.dictionary(
  fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...KNOWN) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  ),
  value,
  { maxKeys: 14 },
)

function checkConfig(c: Config, input: Record<string, string>): void {
  expect(Number.isInteger(c.port) && c.port >= 1 && c.port <= 65_535).toBe(true)
  const base = new URL(c.baseUrl)
  expect(['http:', 'https:']).toContain(base.protocol)
  expect(c.secureCookies).toBe(c.baseUrl.startsWith('https:'))
  expect(c.tokenKeys.length).toBeGreaterThanOrEqual(1)
  for (const k of c.tokenKeys) expect(k.length).toBe(32)
  expect(c.sessionSecret.length).toBeGreaterThanOrEqual(32)
  for (const u of [c.sms77.oauthUrl, c.sms77.apiUrl, c.nexmo.oauthUrl, c.nexmo.apiUrl])
    expect(['http:', 'https:']).toContain(new URL(u).protocol)
  for (const client of [c.sms77.client, c.nexmo.consumer])
    if (client) expect(client.id && client.secret).toBeTruthy()
  if (c.env === 'production') {
    expect(input.SESSION_SECRET).toBeTruthy()
    expect(input.TOKEN_ENCRYPTION_KEY).toBeTruthy()
    // Production never falls back to the sandbox's built-in credentials on its own.
    if (!input.SANDBOX) expect(c.sandbox.enabled).toBe(false)
  }
  expect(typeof c.webhookAllowPrivate).toBe('boolean')
  expect(Number.isInteger(c.sandbox.tokenTtlSec) && c.sandbox.tokenTtlSec >= 5).toBe(true)
  expect(Number.isInteger(c.sandbox.port) && c.sandbox.port >= 0 && c.sandbox.port <= 65_535).toBe(true)
  expect(c.host.length).toBeGreaterThan(0)
}

function checkError(err: unknown, input: Record<string, string>): void {
  expect(err, String(err)).toBeInstanceOf(ConfigError)
  const lines = (err as ConfigError).lines
  expect(lines.length).toBeGreaterThan(0)
  for (const line of lines) {
    expect(line).toMatch(/^([A-Z][A-Z0-9_]*(\.\d+)?|environment): \S/)
    expect(line).not.toContain('\n')
    for (const [name, v] of Object.entries(input)) {
      if (SECRET_NAMES.test(name) && v.includes('S3CR3T'))
        expect(line, `${name}'s value echoed`).not.toContain('S3CR3T')
    }
  }
}

describe('loadConfig on random environments', () => {
  it('returns a sound Config or a ConfigError naming variables, never another error', () => {
    let ok = 0
    let refused = 0
    fc.assert(
      fc.property(env, (input) => {
        let config: Config
        try {
          config = loadConfig(input)
        } catch (err) {
          checkError(err, input)
          refused++
          return
        }
        checkConfig(config, input)
        ok++
      }),
      { numRuns: 800 },
    )
    expect(ok).toBeGreaterThan(20)
    expect(refused).toBeGreaterThan(20)
  })

  it('never repeats a secret variable’s value in an error line, however malformed', () => {
    const marked = fc.stringMatching(/^[0-9a-f]{1,8}$/).map((h) => `S3CR3T${h}`)
    const secretValue = fc.oneof(
      marked,
      marked.map((m) => Buffer.from(m).toString('base64')),
      marked.map((m) => `redis://:${m}@`),
      marked.map((m) => `rediss://user:${m}@host:99999`),
      marked.map((m) => `${m},${m}`),
    )
    const secrets = fc.dictionary(
      fc.constantFrom(
        'SESSION_SECRET',
        'TOKEN_ENCRYPTION_KEY',
        'TOKEN_ENCRYPTION_OLD_KEYS',
        'METRICS_TOKEN',
        'REDIS_URL',
        'SMS77_CLIENT_SECRET',
        'NEXMO_CONSUMER_SECRET',
      ),
      secretValue,
      { minKeys: 1 },
    )
    let refused = 0
    fc.assert(
      fc.property(env, secrets, (input, secret) => {
        const full = { ...input, ...secret }
        try {
          loadConfig(full)
        } catch (err) {
          checkError(err, full)
          refused++
        }
      }),
      { numRuns: 400 },
    )
    expect(refused).toBeGreaterThan(50)
  })

  it('in production: starts only with both secrets, and then with valid ones', () => {
    fc.assert(
      fc.property(
        env,
        fc.option(base64(32, 32), { nil: undefined }),
        fc.option(fc.string({ minLength: 0, maxLength: 40 }), { nil: undefined }),
        (input, key, secret) => {
          const full: Record<string, string> = { ...input, NODE_ENV: 'production' }
          if (key === undefined) delete full.TOKEN_ENCRYPTION_KEY
          else full.TOKEN_ENCRYPTION_KEY = key
          if (secret === undefined) delete full.SESSION_SECRET
          else full.SESSION_SECRET = secret
          try {
            const c = loadConfig(full)
            checkConfig(c, full)
            expect(c.sessionSecret).toBe(full.SESSION_SECRET)
            expect(c.tokenKeys[0]!.toString('base64')).toBe(key)
          } catch (err) {
            checkError(err, full)
          }
        },
      ),
      { numRuns: 400 },
    )
  })

  it('ignores variables it does not know and treats empty values as unset', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^X_[A-Z_]{1,10}$/), fc.string({ maxLength: 20 }), { maxKeys: 5 }),
        fc.subarray([...KNOWN]),
        (unknown, blanks) => {
          const c = loadConfig({ ...unknown, ...Object.fromEntries(blanks.map((k) => [k, ''])) })
          expect(c.port).toBe(3000)
          expect(c.baseUrl).toBe('http://localhost:3000')
          expect(c.redisUrl).toBe('redis://127.0.0.1:6379')
        },
      ),
      { numRuns: 200 },
    )
  })
})
