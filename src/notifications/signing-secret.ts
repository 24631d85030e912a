import { createHmac, randomBytes } from 'node:crypto'

/**
 * Standard Webhooks (standardwebhooks.com) signing: secrets are `whsec_<base64 key>`, and a
 * delivery's `webhook-signature` is `v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`,
 * one per valid secret, space-separated, so a receiver accepts it during a rotation whether
 * it already has the new secret or still the old one.
 */
export const SECRET_PREFIX = 'whsec_'

export function generateSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`
}

/**
 * A secret as given: `whsec_…` with a 16 to 64 byte key (16 is the shortest a secret could be
 * before, kept as bytes), or undefined when it is not one.
 */
export function parseSecret(value: string): string | undefined {
  if (!value.startsWith(SECRET_PREFIX)) return undefined
  const b64 = value.slice(SECRET_PREFIX.length)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return undefined
  const key = Buffer.from(b64, 'base64')
  return key.length >= 16 && key.length <= 64 ? value : undefined
}

/**
 * A signing secret stored before Standard Webhooks (any string of 16+ characters) keeps its
 * key material: its bytes become the key, so what signed before still signs now.
 */
export function secretFromLegacy(raw: string): string {
  return `${SECRET_PREFIX}${Buffer.from(raw, 'utf8').toString('base64')}`
}

export function sign(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64')
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`
}

export function signatures(secrets: string[], id: string, timestamp: string, body: string): string {
  return secrets.map((s) => sign(s, id, timestamp, body)).join(' ')
}
