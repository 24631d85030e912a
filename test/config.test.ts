import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/config.js'
import { configErrors as errorLines } from './helpers/config.js'

describe('configuration', () => {
  it('starts on the sandbox with nothing configured outside production, and says so', () => {
    const c = loadConfig({})
    expect(c.port).toBe(3000)
    expect(c.baseUrl).toBe('http://localhost:3000')
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379')
    expect(c.sandbox.enabled).toBe(true)
    expect(c.sms77.oauthUrl).toBe('http://localhost:3000/sandbox/sms77/oauth')
    expect(c.nexmo.apiUrl).toBe('http://localhost:3000/sandbox/nexmo/rest')
    expect(c.secureCookies).toBe(false)
    expect(c.warnings.join('\n')).toMatch(/SESSION_SECRET is not set/)
    expect(c.warnings.join('\n')).toMatch(/TOKEN_ENCRYPTION_KEY is not set/)
  })

  it('keeps connections alive daily unless CONNECTION_KEEPALIVE_SECONDS says otherwise, and names a bad value', () => {
    expect(loadConfig({}).connectionKeepaliveSec).toBe(86_400)
    expect(loadConfig({ CONNECTION_KEEPALIVE_SECONDS: '5' }).connectionKeepaliveSec).toBe(5)
    expect(errorLines({ CONNECTION_KEEPALIVE_SECONDS: '1' })).toEqual([
      expect.stringMatching(/^CONNECTION_KEEPALIVE_SECONDS: /),
    ])
    expect(errorLines({ CONNECTION_KEEPALIVE_SECONDS: 'daily' })).toEqual([
      'CONNECTION_KEEPALIVE_SECONDS: expected a number of seconds',
    ])
  })

  it('uses the real providers once credentials are given', () => {
    const c = loadConfig({ SMS77_CLIENT_ID: 'id', SMS77_CLIENT_SECRET: 'secret', PORT: '8080' })
    expect(c.sandbox.enabled).toBe(false)
    expect(c.sms77.oauthUrl).toBe('https://oauth.sms77.io')
    expect(c.sms77.apiUrl).toBe('https://gateway.sms77.io/api')
    expect(c.nexmo.oauthUrl).toBe('https://dashboard.nexmo.com/oauth')
    expect(c.nexmo.apiUrl).toBe('https://rest.nexmo.com')
    expect(c.baseUrl).toBe('http://localhost:8080')
  })

  it('names each bad variable on its own line', () => {
    const lines = errorLines({
      PORT: 'eighty',
      TOKEN_ENCRYPTION_KEY: 'short',
      BASE_URL: 'ftp://x',
      SANDBOX: 'maybe',
    })
    expect(lines).toHaveLength(4)
    expect(lines.find((l) => l.startsWith('PORT:'))).toBeDefined()
    expect(lines.find((l) => l.startsWith('TOKEN_ENCRYPTION_KEY:'))).toMatch(/32 bytes/)
    expect(lines.find((l) => l.startsWith('BASE_URL:'))).toMatch(/http/)
    expect(lines.find((l) => l.startsWith('SANDBOX:'))).toBeDefined()
  })

  it('requires secrets in production and the other half of a credential pair', () => {
    expect(errorLines({ NODE_ENV: 'production' })).toEqual([
      'SESSION_SECRET: required when NODE_ENV=production (or SESSION_SECRET_FILE)',
      'TOKEN_ENCRYPTION_KEY: required when NODE_ENV=production (or TOKEN_ENCRYPTION_KEY_FILE)',
    ])
    expect(errorLines({ SMS77_CLIENT_ID: 'x' })).toEqual([
      'SMS77_CLIENT_SECRET: required when SMS77_CLIENT_ID is set',
    ])
  })

  it('makes the cookie Secure exactly when BASE_URL is https, and keeps old keys for decryption', () => {
    const k1 = randomBytes(32).toString('base64')
    const k2 = randomBytes(32).toString('base64')
    const c = loadConfig({
      BASE_URL: 'https://sb.example.com/',
      TOKEN_ENCRYPTION_KEY: k1,
      TOKEN_ENCRYPTION_OLD_KEYS: k2,
    })
    expect(c.secureCookies).toBe(true)
    expect(c.baseUrl).toBe('https://sb.example.com')
    expect(c.tokenKeys.map((k) => k.toString('base64'))).toEqual([k1, k2])
    expect(
      loadConfig({
        NODE_ENV: 'production',
        BASE_URL: 'http://localhost:3000',
        SESSION_SECRET: 'x'.repeat(32),
        TOKEN_ENCRYPTION_KEY: k1,
      }).secureCookies,
    ).toBe(false)
  })
})

describe('Redis topology', () => {
  it('defaults to the single REDIS_URL and parses Sentinel and Cluster node lists', () => {
    expect(loadConfig({}).redis).toEqual({ kind: 'single', url: 'redis://127.0.0.1:6379' })
    expect(
      loadConfig({ REDIS_SENTINELS: 'sentinel-a:26379, [::1]:26380', REDIS_SENTINEL_NAME: 'mymaster' }).redis,
    ).toEqual({
      kind: 'sentinel',
      name: 'mymaster',
      url: 'redis://127.0.0.1:6379',
      sentinels: [
        { host: 'sentinel-a', port: 26379 },
        { host: '::1', port: 26380 },
      ],
    })
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7001', REDIS_URL: 'rediss://:pw@x:1' }).redis,
    ).toEqual({
      kind: 'cluster',
      url: 'rediss://:pw@x:1',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
    })
  })

  it('names each bad or conflicting Redis variable on its own line', () => {
    expect(errorLines({ REDIS_SENTINELS: 'no-port', REDIS_CLUSTER_NODES: 'a:70000' })).toEqual([
      'REDIS_SENTINELS: expected a comma-separated list of host:port',
      'REDIS_CLUSTER_NODES: port out of range (1-65535)',
    ])
    expect(errorLines({ REDIS_SENTINELS: 'a:1', REDIS_CLUSTER_NODES: 'b:2' })).toEqual([
      'REDIS_CLUSTER_NODES: set either REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both',
      'REDIS_SENTINEL_NAME: required when REDIS_SENTINELS is set (the monitored master name)',
    ])
    expect(errorLines({ REDIS_SENTINEL_NAME: 'mymaster' })).toEqual([
      'REDIS_SENTINELS: required when REDIS_SENTINEL_NAME is set',
    ])
  })
})
