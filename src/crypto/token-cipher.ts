import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { AppError } from '../errors/app-error.js'

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
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(Buffer.from(aad))
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    return [
      'v1',
      this.current.kid,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join('.')
  }

  /** Throws AppError `decrypt_failed` (never a crash) on tampering, a wrong key or a bad format. */
  decrypt(blob: string, aad: string): string {
    const parts = blob.split('.')
    const [version, kid, iv, tag, ct] = parts
    const key = kid ? this.keys.get(kid) : undefined
    if (parts.length !== 5 || version !== 'v1' || !key || !iv || !tag || ct === undefined) {
      throw decryptFailed(key ? 'bad format' : `unknown key id ${kid ?? '?'}`)
    }
    try {
      // A fixed tag length: GCM would otherwise accept a truncated tag (as short as 4 bytes),
      // which makes forging a stored value far cheaper.
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      })
      decipher.setAAD(Buffer.from(aad))
      decipher.setAuthTag(Buffer.from(tag, 'base64url'))
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8')
    } catch (err) {
      throw decryptFailed('authentication failed', err)
    }
  }

  /** Which key id a stored blob was written under (for re-encryption after rotation). */
  static keyIdOf(blob: string): string | undefined {
    return blob.split('.')[1]
  }
}

const TAG_BYTES = 16

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8)
}

function decryptFailed(reason: string, cause?: unknown): AppError {
  return new AppError('decrypt_failed', 'The stored connection could not be read; please reconnect.', {
    status: 500,
    expose: true,
    cause: cause ?? new Error(reason),
  })
}
