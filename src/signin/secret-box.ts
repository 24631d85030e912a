import type { TenantCiphers } from '../crypto/tenant-ciphers.js'

/** What a sealed secret is for; bound into the ciphertext, so one never opens as another. */
export type SecretPurpose = 'totp' | 'sso-client'

/**
 * The one place staff sign-in encrypts its secrets at rest (TOTP secrets, SSO client
 * secrets), with the organisation's data key and the record's identity as associated data.
 */
export class SecretBox {
  constructor(private readonly ciphers: TenantCiphers) {}

  seal(tenantId: string, purpose: SecretPurpose, owner: string, plaintext: string): Promise<string> {
    return this.ciphers.seal(tenantId, plaintext, aad(tenantId, purpose, owner))
  }

  open(tenantId: string, purpose: SecretPurpose, owner: string, blob: string): Promise<string> {
    return this.ciphers.open(tenantId, blob, aad(tenantId, purpose, owner))
  }
}

const aad = (tenantId: string, purpose: SecretPurpose, owner: string) => `${purpose}:${tenantId}:${owner}`
