import { createHash, randomBytes } from 'node:crypto'

/**
 * The random secret in a reset or invitation link. Only its SHA-256 digest is stored, so
 * a read of Redis (a backup, a replica) yields no working link; 256 bits need no salt.
 */
export function newLinkToken(): { token: string; digest: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, digest: digestOf(token) }
}

export function digestOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/** The shape of a link token, checked before any Redis lookup. */
export const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/
