import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { tenantMetaKey, tenantMetaKeyPattern, tenantOfMetaKey } from '../redis/keys.js'
import { scanKeys } from '../redis/scan.js'
import { TENANTS_DELETING_KEY } from '../redis/data-keys.js'

export interface Tenant {
  id: string
  name: string
  createdAt: number
  /** Balances below this are highlighted in the support console. */
  lowBalanceThreshold: number
  /** Admins and support must sign in with two steps (set up right after the password). */
  requireTwoStep: boolean
}

export const DEFAULT_LOW_BALANCE = 5

/** A URL-safe slug from an organisation name; a random suffix keeps it unique. */
export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
  return base || 'org'
}

export class TenantStore {
  constructor(private readonly redis: RedisClient) {}

  /** Creates a tenant under a fresh slug (the name's slug, or with a suffix when taken). */
  async create(name: string): Promise<Tenant> {
    const base = slugify(name)
    for (let i = 0; i < 8; i++) {
      const id = i === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`
      const tenant = {
        id,
        name,
        createdAt: Date.now(),
        lowBalanceThreshold: DEFAULT_LOW_BALANCE,
        requireTwoStep: false,
      }
      // HSETNX on the name field claims the slug atomically.
      const claimed = await this.redis.hsetnx(tenantMetaKey(id), 'name', name)
      if (claimed) {
        await this.redis.hset(tenantMetaKey(id), { id, createdAt: String(tenant.createdAt) })
        // A slug freed by a deleted organisation is a new organisation's now (it gets a new data key).
        await this.redis.srem(TENANTS_DELETING_KEY, id)
        return tenant
      }
    }
    throw new Error('could not allocate a tenant slug')
  }

  async get(id: string): Promise<Tenant | null> {
    const h = await this.redis.hgetall(tenantMetaKey(id))
    if (!h.name) return null
    const threshold = Number(h.lowBalanceThreshold)
    return {
      id,
      name: h.name,
      createdAt: Number(h.createdAt),
      lowBalanceThreshold:
        h.lowBalanceThreshold && Number.isFinite(threshold) ? threshold : DEFAULT_LOW_BALANCE,
      requireTwoStep: h.requireTwoStep === '1',
    }
  }

  /** Every tenant (operator commands only: SCAN walks the whole keyspace). */
  async all(): Promise<Tenant[]> {
    const ids: string[] = []
    for await (const key of scanKeys(this.redis, tenantMetaKeyPattern())) {
      const id = tenantOfMetaKey(key)
      if (id) ids.push(id)
    }
    const tenants = await Promise.all(ids.map((id) => this.get(id)))
    return tenants.filter((t): t is Tenant => t !== null).sort((a, b) => a.createdAt - b.createdAt)
  }

  /** Undoes a `create` whose first user could not be made (sign-up with a taken email). */
  async remove(id: string): Promise<void> {
    await this.redis.del(tenantMetaKey(id))
  }

  async setRequireTwoStep(id: string, on: boolean): Promise<void> {
    await this.redis.hset(tenantMetaKey(id), 'requireTwoStep', on ? '1' : '0')
  }

  async setLowBalanceThreshold(id: string, value: number): Promise<void> {
    await this.redis.hset(tenantMetaKey(id), 'lowBalanceThreshold', String(value))
  }
}
