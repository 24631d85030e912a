import { createHash } from 'node:crypto'
import { open, seal } from './gcm.js'

/**
 * AES-256-GCM for tokens at rest. The format is `v1.<kid>.<iv>.<tag>.<ciphertext>`
 * (base64url parts); `kid` names the key so an old key still decrypts after rotation.
 * The record's identity is bound in as associated data, so a ciphertext copied onto
 * another user's record does not decrypt there.
 */
export class TokenCipher {
  private readonly keys: Map<string, Buffer>
  private readonly current: { kid: string; key: Buffer }

  constructor(keys: Buffer[]) {
    if (keys.length === 0 || keys.some((k) => k.length !== 32))
      throw new Error('token keys must be 32 bytes each')
    this.keys = new Map(keys.map((k) => [keyId(k), k]))
    this.current = { kid: keyId(keys[0]!), key: keys[0]! }
  }

  get currentKeyId(): string {
    return this.current.kid
  }

  encrypt(plaintext: string, aad: string): string {
    return seal('v1', { id: this.current.kid, key: this.current.key }, plaintext, aad)
  }

  /** Throws AppError `decrypt_failed` (never a crash) on tampering, a wrong key or a bad format. */
  decrypt(blob: string, aad: string): string {
    return open('v1', this.keys, blob, aad)
  }

  /** Which key id a stored blob was written under (for re-encryption after rotation). */
  static keyIdOf(blob: string): string | undefined {
    return blob.split('.')[1]
  }
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8)
}
