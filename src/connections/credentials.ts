import { AppError } from '../errors.js'
import type { ClientCredentials, ProviderId } from '../providers/types.js'

/** Where a tenant's OAuth client credentials come from: its own (white-label) or the operator's. */
export interface CredentialSource {
  forTenant(tenantId: string, provider: ProviderId): Promise<ClientCredentials>
}

export type TenantCredentialLookup = (
  tenantId: string,
  provider: ProviderId,
) => Promise<ClientCredentials | undefined>

/** Tenant's own credentials first, then the operator's defaults from the environment. */
export function credentialSource(
  defaults: Partial<Record<ProviderId, ClientCredentials>>,
  tenantLookup: TenantCredentialLookup = async () => undefined,
  /** The provider's name for people (the registry's `label`). */
  labelOf: (provider: ProviderId) => string = (p) => p,
): CredentialSource {
  return {
    async forTenant(tenantId, provider) {
      const creds = (await tenantLookup(tenantId, provider)) ?? defaults[provider]
      if (!creds) {
        throw new AppError(
          'not_configured',
          `${labelOf(provider)} is not configured on this Switchboard yet.`,
          {
            status: 503,
            expose: true,
          },
        )
      }
      return creds
    },
  }
}
