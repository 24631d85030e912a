import { describe, expect, it } from 'vitest'
import { matchingStep, newTotpSecret, otpauthUri } from '../src/signin/totp.js'
import { hotp, totpAt } from './helpers/totp.js'

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890", 8-digit values cut to 6.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'

describe('TOTP code windows (RFC 6238: SHA-1, 6 digits, 30 s, one step of drift)', () => {
  it('matches the RFC 6238 test vectors (an independent HMAC implementation agrees)', () => {
    // Appendix B: T=59 → 94287082, T=1111111109 → 07081804, T=1234567890 → 89005924.
    expect(totpAt(RFC_SECRET, 59_000)).toBe('287082')
    expect(totpAt(RFC_SECRET, 1_111_111_109_000)).toBe('081804')
    expect(totpAt(RFC_SECRET, 1_234_567_890_000)).toBe('005924')
    expect(matchingStep(RFC_SECRET, '287082', 59_000)).toBe(1)
    expect(matchingStep(RFC_SECRET, '005924', 1_234_567_890_000)).toBe(Math.floor(1_234_567_890 / 30))
  })

  it('accepts the previous and next step, and nothing further away', () => {
    const secret = newTotpSecret()
    const now = 1_800_000_000_000 + 12_345
    const step = Math.floor(now / 30_000)
    expect(matchingStep(secret, totpAt(secret, now), now)).toBe(step)
    expect(matchingStep(secret, totpAt(secret, now, -1), now)).toBe(step - 1)
    expect(matchingStep(secret, totpAt(secret, now, 1), now)).toBe(step + 1)
    expect(matchingStep(secret, totpAt(secret, now, -2), now)).toBeNull()
    expect(matchingStep(secret, totpAt(secret, now, 2), now)).toBeNull()
  })

  it('refuses what is not six digits', () => {
    const secret = newTotpSecret()
    const now = Date.now()
    const code = totpAt(secret, now)
    expect(matchingStep(secret, `${code}0`, now)).toBeNull()
    expect(matchingStep(secret, code.slice(1), now)).toBeNull()
    expect(matchingStep(secret, 'abcdef', now)).toBeNull()
  })

  it('writes an otpauth URI with the issuer, account and SHA-1/6/30 parameters', () => {
    const secret = newTotpSecret()
    const uri = new URL(otpauthUri(secret, 'anna@example.test', 'Switchboard'))
    expect(uri.protocol).toBe('otpauth:')
    expect(uri.host).toBe('totp')
    expect(decodeURIComponent(uri.pathname)).toBe('/Switchboard:anna@example.test')
    expect(uri.searchParams.get('secret')).toBe(secret)
    expect(uri.searchParams.get('algorithm')).toBe('SHA1')
    expect(uri.searchParams.get('digits')).toBe('6')
    expect(uri.searchParams.get('period')).toBe('30')
    expect(hotp(Buffer.from('12345678901234567890'), 1)).toBe('287082')
  })
})
