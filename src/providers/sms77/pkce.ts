import { createHash, randomBytes } from 'node:crypto'

/**
 * PKCE (RFC 7636, S256), as RFC 9700 §2.1.1 asks of every authorization code client and
 * as seven's own clients do: the verifier stays with the pending flow (encrypted), only
 * its hash travels through the browser.
 */
export function pkcePair(): { verifier: string; challenge: string } {
  // 32 random bytes → 43 base64url characters, the RFC's minimum length and full entropy.
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}
