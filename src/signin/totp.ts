import * as OTPAuth from 'otpauth'

/** RFC 6238 as DESIGN.md fixes it: SHA-1, 6 digits, 30 s steps, one step of drift either way. */
export const TOTP_PERIOD_SEC = 30
const DIGITS = 6
const DRIFT_STEPS = 1

/** A fresh 160-bit secret (RFC 4226's recommended length), base32 as authenticator apps take it. */
export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32
}

function totp(secretBase32: string, label = 'Switchboard', issuer = 'Switchboard'): OTPAuth.TOTP {
  return new OTPAuth.TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: TOTP_PERIOD_SEC,
    secret: OTPAuth.Secret.fromBase32(secretBase32),
  })
}

/** The `otpauth://totp/...` URI the QR code carries. */
export function otpauthUri(secretBase32: string, email: string, issuer: string): string {
  return totp(secretBase32, email, issuer).toString()
}

/** The time step a code belongs to (within the allowed drift), or null when it matches none. */
export function matchingStep(secretBase32: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null
  const delta = totp(secretBase32).validate({ token: code, timestamp: nowMs, window: DRIFT_STEPS })
  if (delta === null) return null
  return Math.floor(nowMs / 1000 / TOTP_PERIOD_SEC) + delta
}

/** What people type: spaces and dashes (as apps show "123 456") are not part of the code. */
export function normaliseCode(raw: string): string {
  return raw.replace(/[\s-]/g, '').toLowerCase()
}
