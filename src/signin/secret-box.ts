import type { TokenCipher } from '../crypto/token-cipher.js'

/** What a sealed secret is for; bound into the ciphertext, so one never opens as another. */
export type SecretPurpose = 'totp' | 'sso-client'

/**
 * The one place staff sign-in encrypts its secrets at rest (TOTP secrets, SSO client
 * secrets), with the token cipher and the record's identity as associated data. Per-tenant
 * data keys slot in here without touching the stores.
 */
export class SecretBox {
  constructor(private readonly cipher: TokenCipher) {}

  seal(tenantId: string, purpose: SecretPurpose, owner: string, plaintext: string): string {
    return this.cipher.encrypt(plaintext, aad(tenantId, purpose, owner))
  }

  open(tenantId: string, purpose: SecretPurpose, owner: string, blob: string): string {
    return this.cipher.decrypt(blob, aad(tenantId, purpose, owner))
  }
}

const aad = (tenantId: string, purpose: SecretPurpose, owner: string) => `${purpose}:${tenantId}:${owner}`
