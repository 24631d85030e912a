import type { RedisClient } from '../redis/client.js'
import { sharedAccessKey } from '../redis/keys.js'
import type { ProviderId } from '../providers/types.js'

/** A person's access to one shared connection. `dailyLimit` null means none. */
export interface SharedAccessEntry {
  userId: string
  email: string
  maySend: boolean
  dailyLimit: number | null
}

const LIMIT_FIELD = '~limit'
const field = (provider: string, who: string) => `${provider}:${who}`

/** `<may send>|<limit or -1>|<email>`, read by the send script (send-scripts.ts) as it is. */
export function encodeAccess(e: Omit<SharedAccessEntry, 'userId'>): string {
  return `${e.maySend ? 1 : 0}|${e.dailyLimit ?? -1}|${e.email}`
}

function decodeAccess(userId: string, v: string): SharedAccessEntry {
  const [maySend, limit, ...email] = v.split('|')
  const n = Number(limit)
  return { userId, maySend: maySend === '1', dailyLimit: n >= 0 ? n : null, email: email.join('|') }
}

/**
 * Who may use the organisation's shared connections, and the daily limits: one hash per
 * tenant, so the send script reads a person's access and both limits atomically with the
 * reservation. Admins need no entry (they always have access and may send).
 */
export class SharedAccess {
  constructor(private readonly redis: RedisClient) {}

  async grant(tenantId: string, provider: ProviderId, entry: SharedAccessEntry): Promise<void> {
    await this.redis.hset(sharedAccessKey(tenantId), field(provider, entry.userId), encodeAccess(entry))
  }

  async remove(tenantId: string, provider: ProviderId, userId: string): Promise<boolean> {
    return (await this.redis.hdel(sharedAccessKey(tenantId), field(provider, userId))) === 1
  }

  /** Forgets every grant and the limit of a connection (it was disconnected). */
  async forget(tenantId: string, provider: ProviderId): Promise<void> {
    const fields = Object.keys(await this.redis.hgetall(sharedAccessKey(tenantId)))
    const mine = fields.filter((f) => f.startsWith(`${provider}:`))
    if (mine.length) await this.redis.hdel(sharedAccessKey(tenantId), ...mine)
  }

  async setLimit(tenantId: string, provider: ProviderId, limit: number | null): Promise<void> {
    const key = sharedAccessKey(tenantId)
    if (limit === null) await this.redis.hdel(key, field(provider, LIMIT_FIELD))
    else await this.redis.hset(key, field(provider, LIMIT_FIELD), String(limit))
  }

  /** Everything about one tenant's sharing, per provider: the people and the organisation's limit. */
  async all(tenantId: string): Promise<Map<string, { people: SharedAccessEntry[]; limit: number | null }>> {
    const out = new Map<string, { people: SharedAccessEntry[]; limit: number | null }>()
    const h = await this.redis.hgetall(sharedAccessKey(tenantId))
    for (const [f, v] of Object.entries(h)) {
      const at = f.indexOf(':')
      const [provider, who] = [f.slice(0, at), f.slice(at + 1)]
      const slot = out.get(provider) ?? { people: [], limit: null }
      if (who === LIMIT_FIELD) slot.limit = Number(v)
      else slot.people.push(decodeAccess(who, v))
      out.set(provider, slot)
    }
    for (const slot of out.values()) slot.people.sort((a, b) => a.email.localeCompare(b.email))
    return out
  }

  /** One person's access per provider (admins are not listed unless granted). */
  async of(tenantId: string, userId: string, providers: ProviderId[]): Promise<(SharedAccessEntry | null)[]> {
    if (providers.length === 0) return []
    const values = await this.redis.hmget(sharedAccessKey(tenantId), ...providers.map((p) => field(p, userId)))
    return values.map((v) => (v === null ? null : decodeAccess(userId, v)))
  }
}
