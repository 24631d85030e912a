import type { RedisClient } from '../redis/client.js'
import {
  webhookDeadKey as deadKey,
  webhookLogKey as logKey,
  webhookSettingsKey as settingsKey,
} from '../redis/keys.js'
import type { TokenCipher } from '../crypto/token-cipher.js'

export interface WebhookSettings {
  url: string
  secret: string
  updatedAt: number
}

export interface DeliveryRecord {
  id: string
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
    private readonly cipher: TokenCipher,
  ) {}

  async get(tenantId: string): Promise<WebhookSettings | undefined> {
    const h = await this.redis.hgetall(settingsKey(tenantId))
    if (!h.url || !h.secret) return undefined
    return {
      url: h.url,
      secret: this.cipher.decrypt(h.secret, settingsKey(tenantId)),
      updatedAt: Number(h.updatedAt),
    }
  }

  /** The URL only (the secret is never read back for display). */
  async url(tenantId: string): Promise<string | undefined> {
    return (await this.redis.hget(settingsKey(tenantId), 'url')) ?? undefined
  }

  async set(tenantId: string, url: string, secret: string): Promise<void> {
    await this.redis.hset(settingsKey(tenantId), {
      url,
      secret: this.cipher.encrypt(secret, settingsKey(tenantId)),
      updatedAt: String(Date.now()),
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
