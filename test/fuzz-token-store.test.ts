/**
 * Property tests for reading tokens back: whatever sits in Redis (garbage, a tampered
 * blob, another record's blob, an authentic blob of the wrong shape, nonsense numbers),
 * `TokenCipher.decrypt` and `ConnectionStore.get` either succeed with a well-formed value
 * or throw AppError `decrypt_failed`; and the dashboard shows such a record as a broken
 * card, never a 500.
 */
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConnectionStore, type ConnectionRef } from '../src/connections/connection-store.js'
import { connectionKey } from '../src/redis/keys.js'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { AppError } from '../src/errors/app-error.js'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'

const key = randomBytes(32)
const cipher = new TokenCipher([key, randomBytes(32)])
const AAD = 't:{acme}:conn:u1:sms77'

function expectDecryptFailed(run: () => unknown): void {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(AppError)
    expect((err as AppError).code).toBe('decrypt_failed')
    expect((err as AppError).message).toBe('The stored connection could not be read; please reconnect.')
    return
  }
  throw new Error('expected decrypt_failed, got a value')
}

const b64part = fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64url'))
const anyPart = fc.oneof(
  b64part,
  fc.string({ maxLength: 40 }),
  fc.constantFrom('', '.', '..', 'v1', cipher.currentKeyId, '\u0000', '%', '=='),
)

/** A real blob, then damaged in one of many ways. */
const tampered = fc
  .record({
    plaintext: fc.string({ maxLength: 200 }),
    how: fc.constantFrom('flip', 'truncate', 'swap', 'drop', 'extend', 'reorder', 'aad', 'kid', 'case'),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  })
  .map(({ plaintext, how, at, bit }) => {
    const blob = cipher.encrypt(plaintext, AAD)
    const parts = blob.split('.')
    switch (how) {
      case 'flip': {
        // iv, tag or ciphertext (the tag when the ciphertext of an empty plaintext is empty).
        let i = 2 + (at % 3)
        if (Buffer.from(parts[i]!, 'base64url').length === 0) i = 3
        const buf = Buffer.from(parts[i]!, 'base64url')
        buf[at % buf.length]! ^= 1 << bit
        parts[i] = buf.toString('base64url')
        return { blob: parts.join('.'), aad: AAD }
      }
      case 'truncate':
        return { blob: blob.slice(0, at % blob.length), aad: AAD }
      case 'swap':
        return { blob: [parts[0], parts[1], parts[3], parts[2], parts[4]].join('.'), aad: AAD }
      case 'drop':
        return { blob: parts.filter((_, i) => i !== at % 5).join('.'), aad: AAD }
      case 'extend':
        return { blob: `${blob}.extra`, aad: AAD }
      case 'reorder':
        return { blob: [...parts].reverse().join('.'), aad: AAD }
      case 'aad':
        return { blob, aad: `${AAD}:other` }
      case 'kid':
        return { blob: [parts[0], 'deadbeef', ...parts.slice(2)].join('.'), aad: AAD }
      default:
        return { blob: blob.toUpperCase() === blob ? blob.toLowerCase() : blob.toUpperCase(), aad: AAD }
    }
  })

describe('TokenCipher.decrypt on random input', () => {
  it('throws only AppError decrypt_failed for arbitrary strings', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 100 })),
        fc.string({ maxLength: 40 }),
        (blob, aad) => {
          expectDecryptFailed(() => cipher.decrypt(blob, aad))
        },
      ),
      { numRuns: 400 },
    )
  })

  it('throws only decrypt_failed for anything shaped like a blob: v1.<kid>.<iv>.<tag>.<ct> with random parts', () => {
    fc.assert(
      fc.property(fc.array(anyPart, { minLength: 0, maxLength: 7 }), fc.boolean(), (parts, withHeader) => {
        const blob = (withHeader ? ['v1', cipher.currentKeyId, ...parts] : parts).join('.')
        expectDecryptFailed(() => cipher.decrypt(blob, AAD))
      }),
      { numRuns: 400 },
    )
  })

  it('never returns for a damaged blob or the wrong record, and round-trips an intact one', () => {
    fc.assert(
      fc.property(tampered, fc.string({ maxLength: 200 }), ({ blob, aad }, plaintext) => {
        expectDecryptFailed(() => cipher.decrypt(blob, aad))
        expect(cipher.decrypt(cipher.encrypt(plaintext, AAD), AAD)).toBe(plaintext)
      }),
      { numRuns: 400 },
    )
  })
})

describe('ConnectionStore.get on random stored hashes', () => {
  let t: TestApp
  let store: ConnectionStore
  beforeAll(async () => {
    t = await startTestApp({ name: 'fuzz-store' })
    store = t.services.store
  })
  afterAll(() => t.close())

  /** What may be found at a connection's key: real or fake secrets, any other field any string. */
  function storedHash(ref: ConnectionRef) {
    const k = connectionKey(ref)
    const enc = (plaintext: string) => t.services.cipher.encrypt(plaintext, k)
    const secrets = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constant(enc(JSON.stringify({ accessToken: 'a', refreshToken: 'r' }))),
      fc.jsonValue().map((v) => enc(JSON.stringify(v))),
      fc.string({ maxLength: 60 }).map(enc),
      fc.constant(t.services.cipher.encrypt(JSON.stringify({ accessToken: 'other' }), `${k}:other`)),
    )
    const text = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('', 'NaN', 'Infinity', '-1', '1e400', '0x10', ' 12 ', '1795463871102', 'null'),
    )
    return fc.record(
      {
        secrets,
        status: fc.oneof(text, fc.constantFrom('connected', 'needs_reconnect')),
        statusReason: text,
        createdAt: text,
        updatedAt: text,
        expiresAt: text,
        obtainedAt: text,
        scopes: fc.oneof(text, fc.constantFrom('balance sms', '  ', 'balance  sms ')),
        accountId: text,
        accountLabel: text,
      },
      { requiredKeys: ['secrets'] },
    )
  }

  it('returns a well-formed record or throws decrypt_failed, never anything else', async () => {
    const ref: ConnectionRef = { tenantId: 'fuzz', userId: 'u1', provider: 'sms77' }
    let records = 0
    let refused = 0
    await fc.assert(
      fc.asyncProperty(storedHash(ref), async (hash) => {
        await t.redis.del(connectionKey(ref))
        await t.redis.hset(connectionKey(ref), hash)
        let record
        try {
          record = await store.get(ref)
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(AppError)
          expect((err as AppError).code).toBe('decrypt_failed')
          refused++
          return
        }
        // A hash without secrets is no connection at all.
        if (hash.secrets === '') {
          expect(record).toBeNull()
          return
        }
        records++
        expect(record).not.toBeNull()
        const { grant, status } = record!
        expect(['connected', 'needs_reconnect']).toContain(status)
        expect(typeof grant.secrets.accessToken).toBe('string')
        expect(['string', 'undefined']).toContain(typeof grant.secrets.refreshToken)
        expect(grant.expiresAt === undefined || Number.isFinite(grant.expiresAt)).toBe(true)
        expect(Number.isFinite(grant.obtainedAt)).toBe(true)
        expect(grant.scopes.every((s) => typeof s === 'string' && s.length > 0)).toBe(true)
      }),
      { numRuns: 250 },
    )
    // Both outcomes were exercised.
    expect(records).toBeGreaterThan(0)
    expect(refused).toBeGreaterThan(0)
  })

  it('renders a damaged record as a broken or reconnect card on the dashboard, never a 500', async () => {
    const { agent, email } = await signUp(t.app)
    const user = (await t.services.users.findForLogin(email))!.user
    const ref: ConnectionRef = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' }
    await fc.assert(
      fc.asyncProperty(storedHash(ref), async (hash) => {
        await t.redis.del(connectionKey(ref))
        await t.redis.hset(connectionKey(ref), hash)
        const res = await agent.get('/dashboard')
        expect(res.status).toBe(200)
        // Without secrets it is simply not connected; otherwise the card offers Disconnect.
        expect(res.text).toContain(hash.secrets === '' ? 'Connect sms77' : 'Disconnect sms77')
      }),
      { numRuns: 30 },
    )
  })
})
