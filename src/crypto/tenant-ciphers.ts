import { randomBytes } from 'node:crypto'
import { AppError } from '../errors/app-error.js'
import type { RedisClient } from '../redis/client.js'
import { ANY_TENANT } from '../redis/keys.js'
import { dataKeyKey, TENANTS_DELETING_KEY } from '../redis/data-keys.js'
import { scanKeys } from '../redis/scan.js'
import { DataKeyCipher, dataKeyIdOf } from './data-key-cipher.js'
import { TokenCipher } from './token-cipher.js'
import { COUNT_USE, CREATE_KEY, ROTATE_KEY, SWAP_FIELD } from './data-key-scripts.js'

/**
 * NIST SP 800-38D allows at most 2^32 GCM encryptions with random 96-bit IVs under one
 * key; a data key is replaced after 2^30 (a quarter of that), counted in Redis.
 */
export const ROTATE_AFTER_ENCRYPTIONS = 2 ** 30
const CACHE_SIZE = 1_000
const CACHE_TTL_MS = 60_000

interface Cached {
  cipher: DataKeyCipher
  at: number
}

/**
 * One data key per organisation (AES-256-GCM, random), stored wrapped by
 * TOKEN_ENCRYPTION_KEY; every store seals an organisation's secrets with `forTenant`.
 * Unwrapped keys are cached per instance (bounded, a minute); a value naming a key the cache
 * does not know reloads it (another instance rotated).
 */
export class TenantCiphers {
  private readonly cache = new Map<string, Cached>()

  constructor(
    private readonly redis: RedisClient,
    readonly master: TokenCipher,
    private readonly opts: { rotateAfter?: number; now?: () => number } = {},
  ) {}

  /** The organisation's cipher; `blobs` about to be opened make sure their keys are loaded. */
  async forTenant(tenantId: string, ...blobs: (string | null | undefined)[]): Promise<DataKeyCipher> {
    const hit = this.cache.get(tenantId)
    const ids = blobs.map((b) => (b ? dataKeyIdOf(b) : undefined)).filter((id) => id !== undefined)
    if (hit && this.now() - hit.at < CACHE_TTL_MS && ids.every((id) => hit.cipher.knows(id))) {
      this.cache.delete(tenantId) // most recently used last
      this.cache.set(tenantId, hit)
      return hit.cipher
    }
    const cipher = await this.load(tenantId)
    this.cache.delete(tenantId)
    this.cache.set(tenantId, { cipher, at: this.now() })
    while (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value!)
    return cipher
  }

  async seal(tenantId: string, plaintext: string, aad: string): Promise<string> {
    return (await this.forTenant(tenantId)).encrypt(plaintext, aad)
  }

  async open(tenantId: string, blob: string, aad: string): Promise<string> {
    return (await this.forTenant(tenantId, blob)).decrypt(blob, aad)
  }

  /** A new current data key; the one before keeps opening values until `dropRetired`. */
  async rotate(tenantId: string): Promise<string> {
    const before = await this.forTenant(tenantId)
    const id = newKeyId()
    const ok = await this.redis.eval(
      ROTATE_KEY,
      1,
      dataKeyKey(tenantId),
      before.currentKeyId,
      id,
      this.wrap(tenantId, id, randomBytes(32)),
      String(this.now()),
    )
    this.cache.delete(tenantId)
    return ok === 1 ? id : (await this.forTenant(tenantId)).currentKeyId
  }

  /** Forgets data keys retired at least `olderThanMs` ago (after every value was re-sealed). */
  async dropRetired(tenantId: string, olderThanMs: number): Promise<number> {
    const h = await this.redis.hgetall(dataKeyKey(tenantId))
    const old = Object.entries(h)
      .filter(([f, v]) => f.startsWith('r:') && this.now() - Number(v) >= olderThanMs)
      .map(([f]) => f.slice(2))
    if (old.length)
      await this.redis.hdel(dataKeyKey(tenantId), ...old.flatMap((id) => [`k:${id}`, `n:${id}`, `r:${id}`]))
    this.cache.delete(tenantId)
    return old.length
  }

  /** Destroys the organisation's data keys: nothing sealed with them opens again. */
  async destroy(tenantId: string): Promise<void> {
    await this.redis.del(dataKeyKey(tenantId))
    this.cache.delete(tenantId)
  }

  /** Re-wraps every data key not wrapped by the current TOKEN_ENCRYPTION_KEY (values untouched). */
  async rewrapAll(): Promise<{ rewrapped: number; current: number; failed: number }> {
    const counts = { rewrapped: 0, current: 0, failed: 0 }
    for await (const key of scanKeys(this.redis, dataKeyKey(ANY_TENANT))) {
      const tenantId = /^t:\{([^}]+)\}:/.exec(key)?.[1]
      if (!tenantId) continue
      for (const [field, wrapped] of Object.entries(await this.redis.hgetall(key))) {
        if (!field.startsWith('k:')) continue
        if (TokenCipher.keyIdOf(wrapped) === this.master.currentKeyId) {
          counts.current++
          continue
        }
        try {
          const id = field.slice(2)
          const raw = Buffer.from(this.master.decrypt(wrapped, wrapAad(tenantId, id)), 'base64')
          const swapped = await this.redis.eval(
            SWAP_FIELD,
            1,
            key,
            field,
            wrapped,
            this.wrap(tenantId, id, raw),
          )
          counts[swapped === 1 ? 'rewrapped' : 'failed']++
        } catch {
          counts.failed++
        }
      }
      this.cache.delete(tenantId)
    }
    return counts
  }

  private async load(tenantId: string): Promise<DataKeyCipher> {
    const key = dataKeyKey(tenantId)
    let h = await this.redis.hgetall(key)
    if (!h.current) {
      if ((await this.redis.sismember(TENANTS_DELETING_KEY, tenantId)) === 1)
        throw new AppError('not_found', 'This organisation has been deleted.', { status: 404 })
      const id = newKeyId()
      await this.redis.eval(CREATE_KEY, 1, key, id, this.wrap(tenantId, id, randomBytes(32)))
      h = await this.redis.hgetall(key)
    }
    const keys = new Map<string, Buffer>()
    for (const [field, wrapped] of Object.entries(h))
      if (field.startsWith('k:'))
        keys.set(
          field.slice(2),
          Buffer.from(this.master.decrypt(wrapped, wrapAad(tenantId, field.slice(2))), 'base64'),
        )
    const current = keys.get(h.current!)
    if (!current)
      throw new AppError('decrypt_failed', 'The organisation key could not be read.', { status: 500 })
    return new DataKeyCipher({ id: h.current!, key: current }, keys, this.master, (id) =>
      this.count(tenantId, id),
    )
  }

  /** Counts one encryption in Redis (not awaited); past the bound the key is replaced. */
  private count(tenantId: string, id: string): void {
    this.redis
      .eval(COUNT_USE, 1, dataKeyKey(tenantId), id)
      .then((n) => {
        if (Number(n) >= (this.opts.rotateAfter ?? ROTATE_AFTER_ENCRYPTIONS)) {
          this.cache.delete(tenantId)
          return this.rotate(tenantId)
        }
      })
      .catch(() => undefined) // counting never fails a write; the next one counts again
  }

  private wrap(tenantId: string, id: string, raw: Buffer): string {
    return this.master.encrypt(raw.toString('base64'), wrapAad(tenantId, id))
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now()
  }
}

const wrapAad = (tenantId: string, id: string) => `data-key:${tenantId}:${id}`
const newKeyId = () => randomBytes(6).toString('hex')
