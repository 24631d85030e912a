import { open, seal } from './gcm.js'
import type { TokenCipher } from './token-cipher.js'

/** What every store seals its secrets with: one organisation's cipher. */
export interface Sealer {
  encrypt(plaintext: string, aad: string): string
  decrypt(blob: string, aad: string): string
}

/** The format of values sealed with a data key (v1 is TOKEN_ENCRYPTION_KEY directly). */
export const DATA_KEY_VERSION = 'v2'

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
    return seal(DATA_KEY_VERSION, this.current, plaintext, aad)
  }

  decrypt(blob: string, aad: string): string {
    if (!blob.startsWith(`${DATA_KEY_VERSION}.`)) return this.legacy.decrypt(blob, aad)
    return open(DATA_KEY_VERSION, this.keys, blob, aad)
  }
}

/** The data key id a value was sealed with, or undefined for a value from before data keys. */
export function dataKeyIdOf(blob: string): string | undefined {
  return blob.startsWith(`${DATA_KEY_VERSION}.`) ? blob.split('.')[1] : undefined
}
