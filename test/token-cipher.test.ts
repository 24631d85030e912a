import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { AppError } from '../src/errors/app-error.js'

const key = () => randomBytes(32)

describe('TokenCipher (AES-256-GCM at rest)', () => {
  it('round-trips and never stores the plaintext', () => {
    const c = new TokenCipher([key()])
    const blob = c.encrypt('access-token-value', 'record-1')
    expect(blob.startsWith(`v1.${c.currentKeyId}.`)).toBe(true)
    expect(blob).not.toContain('access-token-value')
    expect(c.decrypt(blob, 'record-1')).toBe('access-token-value')
    expect(c.encrypt('access-token-value', 'record-1')).not.toBe(blob)
  })

  it('detects tampering with a typed error, never a crash', () => {
    const c = new TokenCipher([key()])
    const parts = c.encrypt('secret', 'r').split('.')
    const ct = Buffer.from(parts[4]!, 'base64url')
    ct[0]! ^= 1
    parts[4] = ct.toString('base64url')
    expect(() => c.decrypt(parts.join('.'), 'r')).toThrow(AppError)
    try {
      c.decrypt(parts.join('.'), 'r')
    } catch (e) {
      expect((e as AppError).code).toBe('decrypt_failed')
      expect((e as AppError).message).not.toContain('secret')
    }
  })

  it('binds a ciphertext to its record: copied onto another record it does not decrypt', () => {
    const c = new TokenCipher([key()])
    expect(() => c.decrypt(c.encrypt('secret', 'user-a'), 'user-b')).toThrow(/could not be read/)
  })

  it('refuses an authentication tag cut short (GCM would accept a 4-byte prefix of the real tag)', () => {
    const c = new TokenCipher([key()])
    const parts = c.encrypt('secret', 'r').split('.')
    for (const bytes of [4, 8, 12, 15]) {
      const short = [...parts]
      short[3] = Buffer.from(parts[3]!, 'base64url').subarray(0, bytes).toString('base64url')
      expect(() => c.decrypt(short.join('.'), 'r')).toThrow(/could not be read/)
    }
  })

  it('rejects garbage and unknown key ids', () => {
    const c = new TokenCipher([key()])
    for (const bad of ['', 'v1', 'v2.x.y.z.w', 'v1.deadbeef.aaaa.bbbb.cccc', 'not.a.valid.blob.at-all']) {
      expect(() => c.decrypt(bad, 'r')).toThrow(AppError)
    }
  })

  it('still decrypts under an old key after rotation, and encrypts under the new one', () => {
    const oldKey = key()
    const before = new TokenCipher([oldKey])
    const blob = before.encrypt('kept', 'r')
    const rotated = new TokenCipher([key(), oldKey])
    expect(rotated.decrypt(blob, 'r')).toBe('kept')
    expect(TokenCipher.keyIdOf(rotated.encrypt('new', 'r'))).toBe(rotated.currentKeyId)
    expect(rotated.currentKeyId).not.toBe(before.currentKeyId)
    expect(() => new TokenCipher([key()]).decrypt(blob, 'r')).toThrow(/could not be read/)
  })
})
