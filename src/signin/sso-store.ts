import type { RedisClient } from '../redis/client.js'
import { SSO_ISSUERS_KEY, ssoDomainKey, ssoSettingsKey } from '../redis/keys.js'
import { AppError } from '../errors/app-error.js'
import type { SecretBox } from './secret-box.js'

const ORIGINS_TTL_MS = 5_000

/** Who single sign-on may create: never an admin. */
export const SSO_ROLES = ['member', 'support'] as const
export type SsoRole = (typeof SSO_ROLES)[number]

export interface SsoSettings {
  issuer: string
  clientId: string
  domains: string[]
  defaultRole: SsoRole
  required: boolean
  updatedAt: number
}

export interface SsoInput extends Omit<SsoSettings, 'updatedAt'> {
  /** Empty keeps the stored secret. */
  clientSecret: string
}

/** A domain another organisation already signs in with. */
export class DomainTakenError extends AppError {
  constructor(readonly domain: string) {
    super('conflict', `The domain ${domain} belongs to another organisation's single sign-on.`, {
      status: 409,
    })
  }
}

/**
 * An organisation's single sign-on settings: the client secret sealed (never read back out
 * to a page), its email domains claimed globally (one organisation per domain, SET NX), and
 * its issuer's origin in a global hash so /login's form-action can allow it.
 */
export class SsoStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly box: SecretBox,
  ) {}

  async get(tenantId: string): Promise<(SsoSettings & { hasSecret: boolean }) | null> {
    const h = await this.redis.hgetall(ssoSettingsKey(tenantId))
    if (!h.issuer) return null
    return {
      issuer: h.issuer,
      clientId: h.clientId ?? '',
      domains: (h.domains ?? '').split(',').filter(Boolean),
      defaultRole: h.defaultRole === 'support' ? 'support' : 'member',
      required: h.required === '1',
      updatedAt: Number(h.updatedAt ?? 0),
      hasSecret: Boolean(h.secret),
    }
  }

  async clientSecret(tenantId: string): Promise<string | undefined> {
    const sealed = await this.redis.hget(ssoSettingsKey(tenantId), 'secret')
    return sealed ? this.box.open(tenantId, 'sso-client', 'client', sealed) : undefined
  }

  /** The organisation whose single sign-on owns the email's domain, if any. */
  async tenantForEmail(email: string): Promise<string | null> {
    const domain = domainOf(email)
    return domain ? this.redis.get(ssoDomainKey(domain)) : null
  }

  private origins: { list: string[]; at: number } = { list: [], at: 0 }
  private reading: Promise<void> | undefined

  /**
   * Every issuer origin in use (for the /login page's CSP form-action), read at most every
   * few seconds and waited for briefly: /login itself needs no Redis, so a Redis that hangs
   * must not hold it up (the last origins known are used meanwhile).
   */
  async issuerOrigins(maxWaitMs = 250): Promise<string[]> {
    if (Date.now() - this.origins.at > ORIGINS_TTL_MS) {
      this.reading ??= this.redis
        .hvals(SSO_ISSUERS_KEY)
        .then((list) => void (this.origins = { list: [...new Set(list)], at: Date.now() }))
        .catch(() => undefined)
        .finally(() => (this.reading = undefined))
      let timer: NodeJS.Timeout | undefined
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)))
      await Promise.race([this.reading, waited])
      clearTimeout(timer)
    }
    return this.origins.list
  }

  async save(tenantId: string, input: SsoInput): Promise<void> {
    const before = await this.get(tenantId)
    const claimed: string[] = []
    for (const domain of input.domains) {
      const key = ssoDomainKey(domain)
      if ((await this.redis.set(key, tenantId, 'NX')) === 'OK') claimed.push(domain)
      else if ((await this.redis.get(key)) !== tenantId) {
        await Promise.all(claimed.map((d) => this.release(d, tenantId)))
        throw new DomainTakenError(domain)
      }
    }
    const fields: Record<string, string> = {
      issuer: input.issuer,
      clientId: input.clientId,
      domains: input.domains.join(','),
      defaultRole: input.defaultRole,
      required: input.required ? '1' : '0',
      updatedAt: String(Date.now()),
    }
    if (input.clientSecret)
      fields.secret = await this.box.seal(tenantId, 'sso-client', 'client', input.clientSecret)
    await this.redis.hset(ssoSettingsKey(tenantId), fields)
    await this.redis.hset(SSO_ISSUERS_KEY, tenantId, new URL(input.issuer).origin)
    this.origins.at = 0 // this instance allows the new issuer at once
    const dropped = (before?.domains ?? []).filter((d) => !input.domains.includes(d))
    await Promise.all(dropped.map((d) => this.release(d, tenantId)))
  }

  /** Frees a domain only when it is still this tenant's (never another's claim). */
  private async release(domain: string, tenantId: string): Promise<void> {
    const key = ssoDomainKey(domain)
    if ((await this.redis.get(key)) === tenantId) await this.redis.del(key)
  }
}

export function domainOf(email: string): string | null {
  const at = email.lastIndexOf('@')
  const domain =
    at > 0
      ? email
          .slice(at + 1)
          .trim()
          .toLowerCase()
      : ''
  return domain || null
}
