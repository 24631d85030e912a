import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { AppError } from '../errors/app-error.js'

/**
 * The one AES-256-GCM sealing both ciphers use: `<version>.<key id>.<iv>.<tag>.<ciphertext>`
 * (base64url parts), the record's identity as associated data, so a ciphertext copied onto
 * another record does not open there.
 */
const TAG_BYTES = 16

export function seal(
  version: string,
  key: { id: string; key: Buffer },
  plaintext: string,
  aad: string,
): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(aad))
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return [
    version,
    key.id,
    iv.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
    ct.toString('base64url'),
  ].join('.')
}

/** Throws AppError `decrypt_failed` (never a crash) on tampering, a wrong key or a bad format. */
export function open(version: string, keys: ReadonlyMap<string, Buffer>, blob: string, aad: string): string {
  const parts = blob.split('.')
  const [v, id, iv, tag, ct] = parts
  const key = id ? keys.get(id) : undefined
  if (parts.length !== 5 || v !== version || !key || !iv || !tag || ct === undefined)
    throw decryptFailed(key ? 'bad format' : `unknown key id ${id ?? '?'}`)
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

function decryptFailed(reason: string, cause?: unknown): AppError {
  return new AppError('decrypt_failed', 'The stored connection could not be read; please reconnect.', {
    status: 500,
    expose: true,
    cause: cause ?? new Error(reason),
  })
}
