import { createHash, randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { apiKeyHashKey, apiKeysKey, apiKeysUsedKey } from '../redis/tenant-api.js'

export const API_SCOPES = ['read', 'send'] as const
export type ApiScope = (typeof API_SCOPES)[number]

/** What an admin sees of a key; the key itself is shown once, at creation, and never stored. */
export interface ApiKeyInfo {
  id: string
  name: string
  scopes: ApiScope[]
  createdAt: number
  createdBy: string
  lastUsedAt?: number
}

/** Who a presented key belongs to: enough to scope, limit and audit a call without another read. */
export interface ApiPrincipal {
  tenantId: string
  keyId: string
  name: string
  scopes: ApiScope[]
}

/** `sbk_` makes a leaked key recognisable to secret scanners and to people. */
export const API_KEY_PREFIX = 'sbk_'
// Last-used times are written at most this often per key, so a busy key costs no write per call.
const TOUCH_EVERY_MS = 60_000
/**
 * How long a process trusts a key it authenticated without asking Redis again. A key revoked
 * on this instance is forgotten here at once; other instances refuse it within this time.
 */
export const AUTH_CACHE_MS = 5_000
// At most this many keys are trusted at once (the oldest goes first).
const AUTH_CACHE_SIZE = 10_000

/** A random key has 256 bits of entropy: a plain SHA-256 is the right hash (no salt, no stretching). */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/**
 * The tenant's API keys. Each is stored twice, by the tenant (for the admin list) and by
 * its hash (so a bearer finds its tenant in one read); revoking deletes the hash entry
 * first, which is the one authentication reads. A key once read is trusted for
 * AUTH_CACHE_MS in this process (no Redis read per call); revoking forgets it here at once.
 */
export class ApiKeyStore {
  private readonly touched = new Map<string, number>()
  /** Keys authenticated lately, by hash: never an unknown or revoked one. */
  private readonly trusted = new Map<string, { principal: ApiPrincipal; until: number }>()

  constructor(
    private readonly redis: RedisClient,
    private readonly cacheMs = AUTH_CACHE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async create(
    tenantId: string,
    input: { name: string; scopes: ApiScope[]; createdBy: string },
  ): Promise<{ key: string; info: ApiKeyInfo }> {
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`
    const hash = hashApiKey(key)
    const info: ApiKeyInfo = {
      id: randomBytes(8).toString('hex'),
      name: input.name,
      scopes: input.scopes,
      createdAt: Date.now(),
      createdBy: input.createdBy,
    }
    await this.redis.hset(apiKeysKey(tenantId), info.id, JSON.stringify({ ...info, hash }))
    const principal: ApiPrincipal = { tenantId, keyId: info.id, name: info.name, scopes: info.scopes }
    await this.redis.set(apiKeyHashKey(hash), JSON.stringify(principal))
    return { key, info }
  }

  /** Newest first. */
  async list(tenantId: string): Promise<ApiKeyInfo[]> {
    const [all, used] = await Promise.all([
      this.redis.hgetall(apiKeysKey(tenantId)),
      this.redis.hgetall(apiKeysUsedKey(tenantId)),
    ])
    return Object.values(all)
      .map((raw) => {
        const { hash: _hash, ...info } = JSON.parse(raw) as ApiKeyInfo & { hash: string }
        const last = Number(used[info.id])
        return { ...info, ...(last > 0 ? { lastUsedAt: last } : {}) }
      })
      .sort((a, b) => b.createdAt - a.createdAt)
  }

  /** Revokes one of the tenant's keys; returns its name, or null when the tenant has no such key. */
  async revoke(tenantId: string, keyId: string): Promise<string | null> {
    const raw = await this.redis.hget(apiKeysKey(tenantId), keyId)
    if (!raw) return null
    const stored = JSON.parse(raw) as ApiKeyInfo & { hash: string }
    this.trusted.delete(stored.hash)
    await this.redis.del(apiKeyHashKey(stored.hash))
    this.trusted.delete(stored.hash)
    await this.redis.multi().hdel(apiKeysKey(tenantId), keyId).hdel(apiKeysUsedKey(tenantId), keyId).exec()
    return stored.name
  }

  /** The principal behind a presented key, or null for an unknown or revoked one. */
  async authenticate(presented: string): Promise<ApiPrincipal | null> {
    if (!presented.startsWith(API_KEY_PREFIX) || presented.length > 200) return null
    const hash = hashApiKey(presented)
    const now = this.now()
    const known = this.trusted.get(hash)
    if (known && now < known.until) return known.principal
    this.trusted.delete(hash)
    const raw = await this.redis.get(apiKeyHashKey(hash))
    if (!raw) return null
    const principal = JSON.parse(raw) as ApiPrincipal
    if (this.cacheMs > 0) {
      if (this.trusted.size >= AUTH_CACHE_SIZE) this.trusted.delete(this.trusted.keys().next().value!)
      this.trusted.set(hash, { principal, until: now + this.cacheMs })
    }
    return principal
  }

  /** Records that a key was used (throttled per process). */
  async touch(p: ApiPrincipal, at = Date.now()): Promise<void> {
    const last = this.touched.get(p.keyId) ?? 0
    if (at - last < TOUCH_EVERY_MS) return
    this.touched.set(p.keyId, at)
    await this.redis.hset(apiKeysUsedKey(p.tenantId), p.keyId, String(at))
  }
}
