import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { panelCacheKey } from '../redis/keys.js'

/** The hash field holding the cache's generation; panel ids never start with `~`. */
export const GENERATION_FIELD = '~gen'

/**
 * Merges answers into the cache and gives it a new generation; returns 1 when the
 * generation before was the one the caller read (nobody else wrote, and the hash did not
 * lapse, in between), else 0. KEYS[1]: the cache hash. ARGV: generation read ('' for
 * none), new generation, TTL in seconds, then field/value pairs.
 */
const PUT = `
local before = redis.call('HGET', KEYS[1], '${GENERATION_FIELD}') or ''
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[1], '${GENERATION_FIELD}', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3], 'NX')
if before == ARGV[1] then return 1 end
return 0`

/**
 * Keeps a card's rendered HTML beside the answers it shows, only if the cache is still at the
 * generation the card was built from (compare-and-set: a render from an older state never
 * overwrites, and a cleared or lapsed cache takes the HTML with it). KEYS[1]: the cache hash.
 * ARGV: generation, field, value. Returns 1 when kept.
 */
const KEEP_HTML = `
if (redis.call('HGET', KEYS[1], '${GENERATION_FIELD}') or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
return 1`

/** The hash field of a card's HTML in one page variant (language); panel ids never start with `~`. */
const htmlField = (variant: string) => `~html:${variant}`

/** A card's kept HTML and what it was rendered from. */
export interface KeptCard {
  generation: string
  fingerprint: string
  html: string
}

/**
 * A short cache of provider answers per (user, provider), one Redis hash each, so a
 * reload does not call the provider again and **Refresh** clears it in one DEL.
 * Only successful answers are cached; an error is retried on the next view.
 * Every write gives the hash a new random generation, so what was rendered from it can be
 * tagged with the generation it was rendered from (a lapsed and refilled hash never
 * repeats one).
 */
export class PanelCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSec = 30,
  ) {}

  private key(tenantId: string, userId: string, provider: string): string {
    return panelCacheKey(tenantId, userId, provider)
  }

  /** The cached answers and the generation they belong to ('' when the cache is empty). */
  async read(
    tenantId: string,
    userId: string,
    provider: string,
  ): Promise<{ entries: Map<string, unknown>; generation: string }> {
    if (this.ttlSec <= 0) return { entries: new Map(), generation: '' }
    const h = await this.redis.hgetall(this.key(tenantId, userId, provider))
    const entries = new Map<string, unknown>()
    for (const [k, v] of Object.entries(h)) if (!k.startsWith('~')) entries.set(k, JSON.parse(v))
    return { entries, generation: h[GENERATION_FIELD] ?? '' }
  }

  async getAll(tenantId: string, userId: string, provider: string): Promise<Map<string, unknown>> {
    return (await this.read(tenantId, userId, provider)).entries
  }

  /**
   * Adds answers. Returns the cache's new generation when the cache was still at `readGeneration`
   * before this write (so it now holds exactly what was read plus these), else null.
   */
  async put(
    tenantId: string,
    userId: string,
    provider: string,
    entries: Record<string, unknown>,
    readGeneration = '',
  ): Promise<string | null> {
    if (this.ttlSec <= 0 || Object.keys(entries).length === 0) return null
    const key = this.key(tenantId, userId, provider)
    const fields = Object.entries(entries).flatMap(([k, v]) => [k, JSON.stringify(v)])
    const generation = randomBytes(8).toString('hex')
    // The hash expires as a whole from its first fill, so no entry is older than ttlSec.
    const args = [readGeneration, generation, String(this.ttlSec), ...fields]
    const same = await this.redis.eval(PUT, 1, key, ...args)
    return same === 1 ? generation : null
  }

  /** Each provider's kept card HTML for this variant, in one round trip (undefined where none). */
  async keptCards(
    tenantId: string,
    userId: string,
    providers: string[],
    variant: string,
  ): Promise<(KeptCard | undefined)[]> {
    if (this.ttlSec <= 0) return providers.map(() => undefined)
    const p = this.redis.pipeline()
    for (const provider of providers) p.hget(this.key(tenantId, userId, provider), htmlField(variant))
    const rows = (await p.exec()) ?? []
    return rows.map(([, v]) => {
      if (typeof v !== 'string') return undefined
      const [generation, fingerprint] = v.split('\n', 2) as [string, string]
      return { generation, fingerprint, html: v.slice(generation.length + fingerprint.length + 2) }
    })
  }

  /** Keeps a card's HTML if the cache is still at `card.generation`; true when kept. */
  async keepCard(
    tenantId: string,
    userId: string,
    provider: string,
    variant: string,
    card: KeptCard,
  ): Promise<boolean> {
    if (this.ttlSec <= 0 || !card.generation) return false
    const value = `${card.generation}\n${card.fingerprint}\n${card.html}`
    const key = this.key(tenantId, userId, provider)
    return (await this.redis.eval(KEEP_HTML, 1, key, card.generation, htmlField(variant), value)) === 1
  }

  async clear(tenantId: string, userId: string, providers: string[]): Promise<void> {
    await this.redis.del(...providers.map((p) => this.key(tenantId, userId, p)))
  }
}
