import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config/config.js'
import { configErrors as errorLines } from './helpers/config.js'

const dir = mkdtempSync(path.join(tmpdir(), 'sb-config-secrets-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function secretFile(name: string, value: string): string {
  const file = path.join(dir, name)
  writeFileSync(file, value)
  return file
}

describe('secrets from files (Docker secrets)', () => {
  it('reads every *_FILE secret, dropping the one trailing newline an editor adds', () => {
    const key = randomBytes(32).toString('base64')
    const session = 'a-session-secret-from-a-file-0123456789'
    const c = loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET_FILE: secretFile('session', `${session}\n`),
      TOKEN_ENCRYPTION_KEY_FILE: secretFile('key', `${key}\n`),
      SMS77_CLIENT_ID: 'client',
      SMS77_CLIENT_SECRET_FILE: secretFile('sms77', 'sms77-secret'),
      NEXMO_CONSUMER_KEY: 'consumer',
      NEXMO_CONSUMER_SECRET_FILE: secretFile('nexmo', 'nexmo-secret\n'),
    })
    expect(c.sessionSecret).toBe(session)
    expect(c.tokenKeys[0]!.equals(Buffer.from(key, 'base64'))).toBe(true)
    expect(c.tokenKeyConfigured).toBe(true)
    expect(c.sms77.client).toEqual({ id: 'client', secret: 'sms77-secret' })
    expect(c.nexmo.consumer).toEqual({ id: 'consumer', secret: 'nexmo-secret' })
    // The one warning left says where mail goes (no SMTP_URL here).
    expect(c.warnings.filter((w) => !w.startsWith('SMTP_URL'))).toEqual([])
  })

  it('names the variable when a file is missing, unreadable, empty or doubled, and never shows a secret', () => {
    const unreadable = secretFile('unreadable', 'top-secret-value-0123456789abcdef0123')
    chmodSync(unreadable, 0)
    const lines = errorLines({
      SESSION_SECRET_FILE: path.join(dir, 'nope'),
      TOKEN_ENCRYPTION_KEY_FILE: secretFile('empty', '\n'),
      SMS77_CLIENT_SECRET: 'inline-secret-value',
      SMS77_CLIENT_SECRET_FILE: secretFile('doubled', 'file-secret-value'),
      NEXMO_CONSUMER_SECRET_FILE: unreadable,
    })
    expect(lines).toEqual([
      `SESSION_SECRET_FILE: cannot read ${path.join(dir, 'nope')} (ENOENT); is the secret mounted?`,
      `TOKEN_ENCRYPTION_KEY_FILE: the file ${path.join(dir, 'empty')} is empty`,
      'SMS77_CLIENT_SECRET_FILE: set either SMS77_CLIENT_SECRET or SMS77_CLIENT_SECRET_FILE, not both',
      // root reads any file, so the unreadable one only fails for an ordinary user.
      ...(process.getuid?.() === 0
        ? []
        : [`NEXMO_CONSUMER_SECRET_FILE: cannot read ${unreadable} (EACCES); is the secret mounted?`]),
    ])
    expect(lines.join('\n')).not.toMatch(/secret-value/)
  })

  it('warns loudly in production when no provider is configured', () => {
    const c = loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(32),
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    })
    expect(c.sandbox.enabled).toBe(false)
    expect(c.warnings.filter((w) => !w.startsWith('SMTP_URL'))).toEqual([
      expect.stringMatching(/^NO PROVIDER IS CONFIGURED: every Connect will fail/),
    ])
  })
})

describe('development secrets kept across restarts', () => {
  it('writes generated secrets once (mode 0600) and reuses them on the next start', () => {
    const file = path.join(dir, 'dev-secrets.json')
    const first = loadConfig({}, { devSecretsFile: file })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    const second = loadConfig({}, { devSecretsFile: file })
    expect(second.sessionSecret).toBe(first.sessionSecret)
    expect(second.tokenKeys[0]!.equals(first.tokenKeys[0]!)).toBe(true)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      SESSION_SECRET: first.sessionSecret,
      TOKEN_ENCRYPTION_KEY: first.tokenKeys[0]!.toString('base64'),
    })
    expect(second.warnings.join('\n')).toContain(`development secrets from ${file}`)
    expect(second.warnings.join('\n')).not.toMatch(/(SESSION_SECRET|TOKEN_ENCRYPTION_KEY) is not set/)
  })

  it('is never used in production, nor without a file (tests), and secrets given win', () => {
    const file = path.join(dir, 'unused.json')
    expect(() => loadConfig({ NODE_ENV: 'production' }, { devSecretsFile: file })).toThrow(ConfigError)
    const given = loadConfig({ SESSION_SECRET: 'g'.repeat(40) }, { devSecretsFile: path.join(dir, 'g.json') })
    expect(given.sessionSecret).toBe('g'.repeat(40))
    expect(() => statSync(file)).toThrow()
    const a = loadConfig({})
    const b = loadConfig({})
    expect(a.sessionSecret).not.toBe(b.sessionSecret)
  })
})
