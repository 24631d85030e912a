import type { RedisClient } from '../redis/client.js'
import {
  webhookDeadKey as deadKey,
  webhookLogKey as logKey,
  webhookSettingsKey as settingsKey,
} from '../redis/keys.js'
import type { TenantCiphers } from '../crypto/tenant-ciphers.js'
import { parseSecret, secretFromLegacy } from './signing-secret.js'

export interface WebhookSettings {
  url: string
  /** Every secret a delivery is signed with now: the current one first, then one being rotated out. */
  secrets: string[]
  updatedAt: number
  /** Until when the previous secret still signs (epoch ms), when one does. */
  previousUntil?: number
}

/** The signing secrets as stored (encrypted, in one field): the current one and one rotated out. */
interface StoredSecrets {
  current: string
  previous?: string
  previousUntil?: number
}

/** How long a replaced secret keeps signing, so receivers can switch without missing a delivery. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000

function readSecrets(plain: string): StoredSecrets {
  if (plain.startsWith('{')) return JSON.parse(plain) as StoredSecrets
  // A lone `whsec_` secret, or one stored before Standard Webhooks: the same key material.
  return { current: parseSecret(plain) ?? secretFromLegacy(plain) }
}

export interface DeliveryRecord {
  /** The job of this attempt (the id Retry names). */
  id: string
  /** The event's id, the delivery's `webhook-id`, and its place in the events stream (for Resend). */
  eventId?: string
  position?: string
  at: number
  event: string
  attempt: number
  outcome: 'delivered' | 'failed' | 'retrying' | 'refused'
  detail: string
}

const LOG_SIZE = 50
/** Dead letters the admin is shown (newest first); older ones stay in the queue until they age out. */
const DEAD_SIZE = 100

/** A tenant's webhook (its signing secret encrypted like tokens) and its recent deliveries. */
export class WebhookStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly ciphers: TenantCiphers,
    private readonly now: () => number = Date.now,
  ) {}

  async get(tenantId: string): Promise<WebhookSettings | undefined> {
    const h = await this.redis.hgetall(settingsKey(tenantId))
    if (!h.url || !h.secret) return undefined
    const stored = readSecrets(await this.ciphers.open(tenantId, h.secret, settingsKey(tenantId)))
    const overlap = stored.previous && (stored.previousUntil ?? 0) > this.now()
    return {
      url: h.url,
      secrets: overlap ? [stored.current, stored.previous!] : [stored.current],
      updatedAt: Number(h.updatedAt),
      ...(overlap ? { previousUntil: stored.previousUntil } : {}),
    }
  }

  /** Until when a rotated-out secret still signs, for the admin page (never the secret itself). */
  async previousUntil(tenantId: string): Promise<number | undefined> {
    return (await this.get(tenantId).catch(() => undefined))?.previousUntil
  }

  /** The URL only (the secret is never read back for display). */
  async url(tenantId: string): Promise<string | undefined> {
    return (await this.redis.hget(settingsKey(tenantId), 'url')) ?? undefined
  }

  /**
   * Sets the webhook (a secret not in `whsec_` form is taken as the key's bytes). A new secret replaces the current one, which keeps signing for 24 hours
   * (as a rotation), so changing the URL or the secret never breaks a receiver at once.
   */
  async set(tenantId: string, url: string, given: string): Promise<void> {
    const secret = parseSecret(given) ?? secretFromLegacy(given)
    const before = await this.get(tenantId)
    const keep = before && before.secrets[0] !== secret
    await this.write(tenantId, url, {
      current: secret,
      ...(keep ? { previous: before.secrets[0], previousUntil: this.now() + ROTATION_OVERLAP_MS } : {}),
    })
  }

  /** A new current secret; the one it replaces signs too for 24 hours. Undefined without a webhook. */
  async rotate(tenantId: string, secret: string): Promise<WebhookSettings | undefined> {
    const before = await this.get(tenantId)
    if (!before) return undefined
    await this.set(tenantId, before.url, secret)
    return this.get(tenantId)
  }

  /** The one place webhook secrets are encrypted (with the tenant's key once it has its own). */
  private async write(tenantId: string, url: string, secrets: StoredSecrets): Promise<void> {
    await this.redis.hset(settingsKey(tenantId), {
      url,
      secret: await this.ciphers.seal(tenantId, JSON.stringify(secrets), settingsKey(tenantId)),
      updatedAt: String(this.now()),
    })
  }

  async clear(tenantId: string): Promise<void> {
    await this.redis.del(settingsKey(tenantId))
  }

  async log(tenantId: string, record: DeliveryRecord): Promise<void> {
    await this.redis
      .multi()
      .lpush(logKey(tenantId), JSON.stringify(record))
      .ltrim(logKey(tenantId), 0, LOG_SIZE - 1)
      .exec()
  }

  async recent(tenantId: string): Promise<DeliveryRecord[]> {
    return (await this.redis.lrange(logKey(tenantId), 0, LOG_SIZE - 1)).map(
      (r) => JSON.parse(r) as DeliveryRecord,
    )
  }

  /** Lists a delivery that used up its attempts, for the admin to retry. */
  async markDead(tenantId: string, jobId: string): Promise<void> {
    await this.redis
      .multi()
      .zadd(deadKey(tenantId), Date.now(), jobId)
      .zremrangebyrank(deadKey(tenantId), 0, -DEAD_SIZE - 1)
      .exec()
  }

  async deadIds(tenantId: string): Promise<string[]> {
    return this.redis.zrevrange(deadKey(tenantId), 0, DEAD_SIZE - 1)
  }

  async forgetDead(tenantId: string, jobId: string): Promise<void> {
    await this.redis.zrem(deadKey(tenantId), jobId)
  }
}
