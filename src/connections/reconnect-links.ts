import { digestOf, LINK_TOKEN, newLinkToken } from '../auth/link-token.js'
import type { RedisClient } from '../redis/client.js'
import { reconnectLinkKey } from '../redis/keys.js'
import type { ConnectionRef } from './record.js'
import { noteGlobalKey } from './global-trail.js'

/** A reconnect link lives 72 hours (DESIGN.md "Reconnect links"). */
export const RECONNECT_LINK_TTL_SEC = 72 * 3600

/** What a reconnect link is for: one connection, made by one support person at one time. */
export interface ReconnectLink {
  ref: ConnectionRef
  /** The digest of the link's token: how a connect flow names the link it uses up. */
  digest: string
  sentBy: string
  createdAt: number
}

/**
 * Reconnect links mailed by support to a connection's owner. Only the SHA-256 of the token
 * is stored (a Redis dump opens nothing). Reading a link never spends it, so a mail
 * scanner that opens it changes nothing; a completed reconnect through it deletes it.
 */
export class ReconnectLinks {
  constructor(
    private readonly redis: RedisClient,
    private readonly ttlSec = RECONNECT_LINK_TTL_SEC,
  ) {}

  async create(ref: ConnectionRef, sentBy: string): Promise<string> {
    const { token, digest } = newLinkToken()
    const link = { ref, sentBy, createdAt: Date.now() }
    await this.redis.set(reconnectLinkKey(digest), JSON.stringify(link), 'EX', this.ttlSec)
    await noteGlobalKey(this.redis, ref.tenantId, reconnectLinkKey(digest), this.ttlSec)
    return token
  }

  /** The link a token names, while it lasts; null for a malformed, unknown, expired or used one. */
  async find(token: string): Promise<ReconnectLink | null> {
    if (!LINK_TOKEN.test(token)) return null
    const digest = digestOf(token)
    const raw = await this.redis.get(reconnectLinkKey(digest))
    if (!raw) return null
    const link = JSON.parse(raw) as Omit<ReconnectLink, 'digest'>
    return { ...link, digest }
  }

  /** Spends the link (a reconnect through it completed); true when it was still there. */
  async useUp(digest: string): Promise<boolean> {
    return (await this.redis.del(reconnectLinkKey(digest))) === 1
  }
}
