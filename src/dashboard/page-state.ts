import { createHash } from 'node:crypto'
import { USER_FIELDS, userFromFields, type User } from '../auth/user-store.js'
import type { RedisClient } from '../redis/client.js'
import {
  connectionKey,
  noticesKey,
  panelCacheKey,
  sharedAccessKey,
  tenantConnectionsKey,
  userKey,
} from '../redis/keys.js'
import { ORGANISATION_OWNER } from '../connections/owner.js'
import { GENERATION_FIELD } from './panel-cache.js'

/**
 * Everything a warm dashboard needs to know per request, in one script (one round trip):
 * the user (the role re-read on every request, never the password hash; with their
 * `language` and `timeZone`), whether notices wait (taken by the normal path only when there are some),
 * and per provider a fingerprint of the connection record and the panel cache generation.
 * The fingerprint is a SHA-1 of the whole record hash, so any write to it (connect,
 * reconnect, refresh, status change, disconnect) changes it whatever fields the record has.
 * It also says whether the person has access to a shared connection, and whether the
 * organisation has any (admins always see them): such a page shows shared cards, which are
 * read on every request and never kept.
 * KEYS: user hash, notices list, the tenant's shared-access hash and connection index, then
 * per provider its connection hash and panel cache; all carry the tenant's hash tag, so on a
 * Redis Cluster the script runs in one slot. ARGV: the user id, then the providers.
 */
const PAGE_STATE = `
local out = { redis.call('HMGET', KEYS[1], ${USER_FIELDS.map((f) => `'${f}'`).join(', ')}),
  redis.call('EXISTS', KEYS[2]) }
local access, shared = 0, 0
for i = 2, #ARGV do
  if redis.call('HEXISTS', KEYS[3], ARGV[i] .. ':' .. ARGV[1]) == 1 then access = 1 end
  if redis.call('ZSCORE', KEYS[4], '${ORGANISATION_OWNER}:' .. ARGV[i]) then shared = 1 end
end
out[#out + 1] = access
out[#out + 1] = shared
for i = 5, #KEYS, 2 do
  local h = redis.call('HGETALL', KEYS[i])
  if #h == 0 then out[#out + 1] = 'none' else out[#out + 1] = redis.sha1hex(table.concat(h, '\\n')) end
  out[#out + 1] = redis.call('HGET', KEYS[i + 1], '${GENERATION_FIELD}') or ''
end
return out`
const PAGE_STATE_SHA = createHash('sha1').update(PAGE_STATE).digest('hex')

export interface CardState {
  provider: string
  /** SHA-1 of the connection record, or `none`. */
  fingerprint: string
  /** The panel cache's generation, '' when it is empty. */
  generation: string
}

export interface PageState {
  user: User | null
  /** The user's chosen language and time zone, when they chose them (both shape the page). */
  language?: string
  timeZone?: string
  hasNotices: boolean
  /** The page shows the organisation's shared cards (access granted, or an admin with some). */
  showsShared: boolean
  cards: CardState[]
}

export class PageStateReader {
  constructor(private readonly redis: RedisClient) {}

  async read(tenantId: string, userId: string, providers: string[]): Promise<PageState> {
    const keys = [userKey(tenantId, userId), noticesKey(tenantId, userId)]
    keys.push(sharedAccessKey(tenantId), tenantConnectionsKey(tenantId))
    for (const provider of providers)
      keys.push(connectionKey({ tenantId, userId, provider }), panelCacheKey(tenantId, userId, provider))
    const [fields, notices, access, shared, ...cards] = (await this.run(keys, [userId, ...providers])) as [
      (string | null)[],
      number,
      number,
      number,
      ...string[],
    ]
    const user = userFromFields(fields, tenantId)
    // A user of another tenant under this id would be a forged session: treat it as gone.
    const valid = user && user.tenantId === tenantId ? user : null
    return {
      user: valid,
      language: valid?.language,
      timeZone: valid?.timeZone,
      hasNotices: notices === 1,
      showsShared: access === 1 || (shared === 1 && valid?.role === 'admin'),
      cards: providers.map((provider, i) => ({
        provider,
        fingerprint: cards[2 * i]!,
        generation: cards[2 * i + 1]!,
      })),
    }
  }

  /** EVALSHA, loading the script when the server does not know it yet (a restart, a failover). */
  private async run(keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(PAGE_STATE_SHA, keys.length, ...keys, ...args)
    } catch (err) {
      if (!/NOSCRIPT/.test((err as Error).message)) throw err
      return this.redis.eval(PAGE_STATE, keys.length, ...keys, ...args)
    }
  }
}

/** Versions of every card as one string: equal strings mean every card can be served as kept. */
export function versionsOf(cards: CardState[]): string {
  return cards.map((c) => `${c.provider}=${c.fingerprint}:${c.generation}`).join(' ')
}
