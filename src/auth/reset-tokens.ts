import type { RedisClient } from '../redis/client.js'
import { resetTokenKey, userResetKey } from '../redis/keys.js'
import { digestOf, LINK_TOKEN, newLinkToken } from './link-token.js'

export const RESET_TTL_SEC = 30 * 60

export interface ResetOwner {
  tenantId: string
  userId: string
}

/**
 * The swap, in one script on the person's key (one slot): the newest link's digest
 * replaces the one before, which is returned so its lookup key can be tidied away.
 * KEYS[1]: the person's newest-link key; ARGV: digest, TTL.
 */
const SWAP = `
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return old`

/** Uses the person's newest link up, only if it is `digest`. KEYS[1]: as above; ARGV: digest. */
const TAKE_IF_NEWEST = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/**
 * Password-reset links: random, stored only as a digest, for 30 minutes, used once. Only a
 * person's newest link works: the person's key names it, and a link is live only while it
 * does. The name is swapped atomically, so two requests at once (even on two instances)
 * leave one live link, whatever order their writes land in.
 */
export class ResetTokens {
  constructor(private readonly redis: RedisClient) {}

  async issue(owner: ResetOwner): Promise<string> {
    const { token, digest } = newLinkToken()
    const newest = userResetKey(owner.tenantId, owner.userId)
    await this.redis.set(resetTokenKey(digest), `${owner.tenantId}:${owner.userId}`, 'EX', RESET_TTL_SEC)
    const previous = (await this.redis.eval(SWAP, 1, newest, digest, RESET_TTL_SEC)) as string | null
    if (previous && previous !== digest) await this.redis.del(resetTokenKey(previous))
    return token
  }

  /** Whose link it is, without using it up (the form page). */
  async peek(token: string): Promise<ResetOwner | undefined> {
    if (!LINK_TOKEN.test(token)) return undefined
    const digest = digestOf(token)
    const owner = parse(await this.redis.get(resetTokenKey(digest)))
    if (!owner) return undefined
    const newest = await this.redis.get(userResetKey(owner.tenantId, owner.userId))
    return newest === digest ? owner : undefined
  }

  /** Uses the link up (two submissions at once, one wins), if it is the person's newest. */
  async take(token: string): Promise<ResetOwner | undefined> {
    if (!LINK_TOKEN.test(token)) return undefined
    const digest = digestOf(token)
    const owner = parse(await this.redis.getdel(resetTokenKey(digest)))
    if (!owner) return undefined
    const newest = userResetKey(owner.tenantId, owner.userId)
    return (await this.redis.eval(TAKE_IF_NEWEST, 1, newest, digest)) === 1 ? owner : undefined
  }
}

function parse(raw: string | null): ResetOwner | undefined {
  if (!raw) return undefined
  const [tenantId, userId] = raw.split(':') as [string, string]
  return { tenantId, userId }
}
