import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { AppError } from '../errors/app-error.js'
import type { TokenCipher } from './token-cipher.js'

/** What every store seals its secrets with: one organisation's cipher. */
export interface Sealer {
  encrypt(plaintext: string, aad: string): string
  decrypt(blob: string, aad: string): string
}

/** The format of values sealed with a data key (v1 is TOKEN_ENCRYPTION_KEY directly). */
export const DATA_KEY_VERSION = 'v2'
const TAG_BYTES = 16

/**
 * AES-256-GCM with one organisation's data keys: `v2.<data key id>.<iv>.<tag>.<ct>`
 * (base64url), the record's identity as associated data as before. Values from before data
 * keys (`v1.…`, TOKEN_ENCRYPTION_KEY directly) still open through the key-encryption cipher,
 * so an install keeps every connection while its values move over.
 */
export class DataKeyCipher implements Sealer {
  constructor(
    private readonly current: { id: string; key: Buffer },
    private readonly keys: Map<string, Buffer>,
    private readonly legacy: TokenCipher,
    private readonly onEncrypt: (id: string) => void,
  ) {}

  get currentKeyId(): string {
    return this.current.id
  }

  knows(id: string): boolean {
    return this.keys.has(id)
  }

  encrypt(plaintext: string, aad: string): string {
    this.onEncrypt(this.current.id)
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(Buffer.from(aad))
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
    const tag = cipher.getAuthTag()
    return [DATA_KEY_VERSION, this.current.id, iv, tag, ct].map(b64).join('.')
  }

  decrypt(blob: string, aad: string): string {
    if (!blob.startsWith(`${DATA_KEY_VERSION}.`)) return this.legacy.decrypt(blob, aad)
    const parts = blob.split('.')
    const [, id, iv, tag, ct] = parts
    const key = id ? this.keys.get(id) : undefined
    if (parts.length !== 5 || !key || !iv || !tag || ct === undefined)
      throw decryptFailed(key ? 'bad format' : `unknown data key ${id ?? '?'}`)
    try {
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
}

/** The data key id a value was sealed with, or undefined for a value from before data keys. */
export function dataKeyIdOf(blob: string): string | undefined {
  return blob.startsWith(`${DATA_KEY_VERSION}.`) ? blob.split('.')[1] : undefined
}

const b64 = (v: string | Buffer) => (typeof v === 'string' ? v : v.toString('base64url'))

function decryptFailed(reason: string, cause?: unknown): AppError {
  return new AppError('decrypt_failed', 'The stored connection could not be read; please reconnect.', {
    status: 500,
    expose: true,
    cause: cause ?? new Error(reason),
  })
}
