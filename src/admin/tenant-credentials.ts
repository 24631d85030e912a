import type { RedisClient } from '../redis/client.js'
import { tenantCredentialsKey as key } from '../redis/keys.js'
import type { TokenCipher } from '../crypto/token-cipher.js'
import type { ClientCredentials, ProviderId } from '../providers/types.js'

export interface CredentialStatus {
  /** The client id / consumer key (not a secret); the secret is never read back out. */
  id: string
  updatedAt: number
}

/** A tenant's own OAuth client credentials (white-label), encrypted like tokens. */
export class TenantCredentialStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly cipher: TokenCipher,
  ) {}

  async get(tenantId: string, provider: ProviderId): Promise<ClientCredentials | undefined> {
    const raw = await this.redis.hget(key(tenantId), provider)
    if (!raw) return undefined
    const stored = JSON.parse(raw) as { id: string; secret: string }
    return { id: stored.id, secret: this.cipher.decrypt(stored.secret, `${key(tenantId)}:${provider}`) }
  }

  async status(tenantId: string): Promise<Partial<Record<ProviderId, CredentialStatus>>> {
    const all = await this.redis.hgetall(key(tenantId))
    return Object.fromEntries(
      Object.entries(all).map(([provider, raw]) => {
        const { id, updatedAt } = JSON.parse(raw) as { id: string; updatedAt: number }
        return [provider, { id, updatedAt }]
      }),
    )
  }

  async set(tenantId: string, provider: ProviderId, creds: ClientCredentials): Promise<void> {
    const secret = this.cipher.encrypt(creds.secret, `${key(tenantId)}:${provider}`)
    await this.redis.hset(
      key(tenantId),
      provider,
      JSON.stringify({ id: creds.id, secret, updatedAt: Date.now() }),
    )
  }

  async clear(tenantId: string, provider: ProviderId): Promise<void> {
    await this.redis.hdel(key(tenantId), provider)
  }
}
