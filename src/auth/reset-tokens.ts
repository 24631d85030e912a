import type { RedisClient } from '../redis/client.js'
import { resetTokenKey, userResetKey } from '../redis/keys.js'
import { digestOf, LINK_TOKEN, newLinkToken } from './link-token.js'

export const RESET_TTL_SEC = 30 * 60

export interface ResetOwner {
  tenantId: string
  userId: string
}

/**
 * Password-reset links: random, stored only as a digest, for 30 minutes, used once. A
 * person's newer link retires the older one, so only the last mail works.
 */
export class ResetTokens {
  constructor(private readonly redis: RedisClient) {}

  async issue(owner: ResetOwner): Promise<string> {
    const { token, digest } = newLinkToken()
    const previous = await this.redis.getset(userResetKey(owner.tenantId, owner.userId), digest)
    await this.redis.expire(userResetKey(owner.tenantId, owner.userId), RESET_TTL_SEC)
    if (previous) await this.redis.del(resetTokenKey(previous))
    await this.redis.set(resetTokenKey(digest), `${owner.tenantId}:${owner.userId}`, 'EX', RESET_TTL_SEC)
    return token
  }

  /** Whose link it is, without using it up (the form page). */
  async peek(token: string): Promise<ResetOwner | undefined> {
    if (!LINK_TOKEN.test(token)) return undefined
    return parse(await this.redis.get(resetTokenKey(digestOf(token))))
  }

  /** Uses the link up (GETDEL: two submissions at once, one wins). */
  async take(token: string): Promise<ResetOwner | undefined> {
    if (!LINK_TOKEN.test(token)) return undefined
    const owner = parse(await this.redis.getdel(resetTokenKey(digestOf(token))))
    if (owner) await this.redis.del(userResetKey(owner.tenantId, owner.userId))
    return owner
  }
}

function parse(raw: string | null): ResetOwner | undefined {
  if (!raw) return undefined
  const [tenantId, userId] = raw.split(':') as [string, string]
  return { tenantId, userId }
}
