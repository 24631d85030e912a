import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { tenantCredentialsKey as key } from '../redis/keys.js'
import type { TenantCiphers } from '../crypto/tenant-ciphers.js'
import type { ClientCredentials, ProviderId } from '../providers/types.js'

export interface CredentialVersion {
  /** The client id / consumer key (not a secret); the secret is never read back out. */
  id: string
  version: string
  updatedAt: number
  /** When it stopped being the tenant's current client (retired versions only). */
  retiredAt?: number
}

interface Stored extends CredentialVersion {
  secret: string
}

const retiredField = (provider: ProviderId, version: string) => `${provider}@${version}`
// A pending connect flow may still finish with a just-retired client within this time.
const RETIRED_GRACE_MS = 10 * 60_000

/**
 * A tenant's own OAuth client credentials (white-label), encrypted like tokens and kept
 * by version: a grant is bound to the client that issued it, so a changed or cleared
 * client stays readable while any connection (or connect flow under way) still uses it.
 */
export class TenantCredentialStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ciphers: TenantCiphers,
  ) {}

  async current(tenantId: string, provider: ProviderId) {
    const stored = parse(await this.redis.hget(key(tenantId), provider))
    return stored && { version: stored.version, credentials: await this.open(tenantId, provider, stored) }
  }

  async version(tenantId: string, provider: ProviderId, version: string) {
    const [now, retired] = await this.redis.hmget(key(tenantId), provider, retiredField(provider, version))
    const current = parse(now)
    const stored = current?.version === version ? current : parse(retired)
    return stored ? this.open(tenantId, provider, stored) : undefined
  }

  async get(tenantId: string, provider: ProviderId): Promise<ClientCredentials | undefined> {
    return (await this.current(tenantId, provider))?.credentials
  }

  /** Each provider's current own client (ids only, never secrets). */
  async status(tenantId: string): Promise<Partial<Record<ProviderId, CredentialVersion>>> {
    const out: Partial<Record<ProviderId, CredentialVersion>> = {}
    for (const [field, raw] of Object.entries(await this.redis.hgetall(key(tenantId)))) {
      const stored = parse(raw)
      if (stored && !field.includes('@')) out[field as ProviderId] = visible(stored)
    }
    return out
  }

  /** Earlier own clients of a provider still kept (connections they issued may still use them). */
  async retired(tenantId: string, provider: ProviderId): Promise<CredentialVersion[]> {
    const all = await this.redis.hgetall(key(tenantId))
    return Object.entries(all)
      .filter(([field]) => field.startsWith(`${provider}@`))
      .map(([, raw]) => parse(raw))
      .filter((v): v is Stored => v !== undefined)
      .map(visible)
      .sort((a, b) => (b.retiredAt ?? 0) - (a.retiredAt ?? 0))
  }

  async set(tenantId: string, provider: ProviderId, creds: ClientCredentials): Promise<void> {
    const stored: Stored = {
      id: creds.id,
      secret: await this.ciphers.seal(tenantId, creds.secret, aad(tenantId, provider)),
      version: randomBytes(6).toString('hex'),
      updatedAt: Date.now(),
    }
    await this.retireCurrent(tenantId, provider, JSON.stringify(stored))
  }

  async clear(tenantId: string, provider: ProviderId): Promise<void> {
    await this.retireCurrent(tenantId, provider)
  }

  /** Forgets retired clients that no connection uses any more (`usage` by client reference). */
  async prune(tenantId: string, provider: ProviderId, usage: Record<string, number>): Promise<void> {
    const unused = (await this.retired(tenantId, provider)).filter(
      (v) => !(usage[`tenant:${v.version}`]! > 0) && Date.now() - (v.retiredAt ?? 0) > RETIRED_GRACE_MS,
    )
    if (unused.length)
      await this.redis.hdel(key(tenantId), ...unused.map((v) => retiredField(provider, v.version)))
  }

  private async retireCurrent(tenantId: string, provider: ProviderId, next?: string): Promise<void> {
    const current = parse(await this.redis.hget(key(tenantId), provider))
    const tx = this.redis.multi()
    if (current) {
      const retired = JSON.stringify({ ...current, retiredAt: Date.now() })
      tx.hset(key(tenantId), retiredField(provider, current.version), retired)
    }
    if (next) tx.hset(key(tenantId), provider, next)
    else tx.hdel(key(tenantId), provider)
    await tx.exec()
  }

  private async open(tenantId: string, provider: ProviderId, stored: Stored): Promise<ClientCredentials> {
    return {
      id: stored.id,
      secret: await this.ciphers.open(tenantId, stored.secret, aad(tenantId, provider)),
    }
  }
}

// The ciphertext is bound to the tenant and provider, not the version: retiring moves it as is.
const aad = (tenantId: string, provider: ProviderId) => `${key(tenantId)}:${provider}`

function visible({ secret: _secret, ...rest }: Stored): CredentialVersion {
  return rest
}

function parse(raw: string | null | undefined): Stored | undefined {
  if (!raw) return undefined
  const s = JSON.parse(raw) as Partial<Stored>
  // Credentials saved before versions were kept count as version "1".
  return {
    id: s.id ?? '',
    secret: s.secret ?? '',
    updatedAt: s.updatedAt ?? 0,
    version: s.version ?? '1',
    retiredAt: s.retiredAt,
  }
}
