import { AppError } from '../errors/app-error.js'
import type { ClientCredentials, ProviderId } from '../providers/types.js'
import { DEFAULT_CLIENT, type ClientRef } from './connection-store.js'

/** A client to start a new connection with, and the reference stored with the grant it issues. */
export interface ClientChoice {
  client: ClientRef
  credentials: ClientCredentials
}

/**
 * Where OAuth client credentials come from: a tenant's own (white-label, versioned) or the
 * operator's. New connections use the tenant's current client; an existing grant is
 * always refreshed, revoked and signed with the client that issued it, because refresh
 * tokens are bound to their client.
 */
export interface CredentialSource {
  current(tenantId: string, provider: ProviderId): Promise<ClientChoice>
  /** The issuing client of a grant; `undefined` (records from before clients were kept) means current. */
  issuing(tenantId: string, provider: ProviderId, client: ClientRef | undefined): Promise<ClientCredentials>
}

/** A tenant's own clients by version; `current` is the one new connections use. */
export interface TenantClients {
  current(
    tenantId: string,
    provider: ProviderId,
  ): Promise<{ version: string; credentials: ClientCredentials } | undefined>
  version(tenantId: string, provider: ProviderId, version: string): Promise<ClientCredentials | undefined>
}

const noTenantClients: TenantClients = {
  current: async () => undefined,
  version: async () => undefined,
}

export function credentialSource(
  defaults: Partial<Record<ProviderId, ClientCredentials>>,
  tenant: TenantClients = noTenantClients,
  labelOf: (p: ProviderId) => string = (p) => p,
): CredentialSource {
  const operator = (provider: ProviderId): ClientCredentials => {
    const creds = defaults[provider]
    if (!creds) throw notConfigured(`${labelOf(provider)} is not configured on this Switchboard yet.`)
    return creds
  }
  return {
    async current(tenantId, provider) {
      const own = await tenant.current(tenantId, provider)
      if (own) return { client: `tenant:${own.version}`, credentials: own.credentials }
      return { client: DEFAULT_CLIENT, credentials: operator(provider) }
    },
    async issuing(tenantId, provider, client) {
      if (client === undefined) return (await this.current(tenantId, provider)).credentials
      if (client === DEFAULT_CLIENT) return operator(provider)
      const creds = await tenant.version(tenantId, provider, client.slice('tenant:'.length))
      if (!creds)
        throw notConfigured(
          `The ${labelOf(provider)} client that issued this connection is no longer configured; reconnect to continue.`,
        )
      return creds
    },
  }
}

function notConfigured(message: string): AppError {
  return new AppError('not_configured', message, { status: 503, expose: true })
}
