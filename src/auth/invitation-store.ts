import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { inviteTokenKey, tenantInvitesKey } from '../redis/keys.js'
import { digestOf, LINK_TOKEN, newLinkToken } from './link-token.js'
import { normaliseEmail, type Role } from './user-store.js'

export const INVITE_TTL_SEC = 7 * 24 * 3600

export interface Invitation {
  id: string
  tenantId: string
  email: string
  role: Role
  invitedBy: string
  createdAt: number
  expiresAt: number
}

interface Stored extends Invitation {
  digest: string
}

/**
 * A tenant's pending invitations. Each has one live link (random, stored as a digest,
 * 7 days, used once); resending replaces the link, cancelling kills it.
 */
export class InvitationStore {
  constructor(private readonly redis: RedisClient) {}

  /** A new invitation, or the pending one for the same address with a fresh link. */
  async create(input: { tenantId: string; email: string; role: Role; invitedBy: string }) {
    const email = normaliseEmail(input.email)
    const existing = (await this.list(input.tenantId)).find((i) => i.email === email)
    if (existing) await this.cancel(input.tenantId, existing.id)
    const id = existing?.id ?? randomBytes(8).toString('hex')
    return this.issue({ ...input, email, id, createdAt: Date.now(), expiresAt: 0 })
  }

  /** Pending invitations, newest first; expired ones are dropped on the way. */
  async list(tenantId: string): Promise<Invitation[]> {
    const all = Object.values(await this.redis.hgetall(tenantInvitesKey(tenantId))).map(
      (raw) => JSON.parse(raw) as Stored,
    )
    const expired = all.filter((i) => i.expiresAt <= Date.now())
    if (expired.length) await this.redis.hdel(tenantInvitesKey(tenantId), ...expired.map((i) => i.id))
    return all
      .filter((i) => i.expiresAt > Date.now())
      .sort((a, b) => b.createdAt - a.createdAt)
      .map(visible)
  }

  async resend(tenantId: string, id: string) {
    const stored = await this.get(tenantId, id)
    if (!stored) return undefined
    await this.redis.del(inviteTokenKey(stored.digest))
    return this.issue(stored)
  }

  async cancel(tenantId: string, id: string): Promise<Invitation | undefined> {
    const stored = await this.get(tenantId, id)
    if (!stored) return undefined
    await this.redis.del(inviteTokenKey(stored.digest))
    await this.redis.hdel(tenantInvitesKey(tenantId), id)
    return visible(stored)
  }

  /**
   * Cancels every pending invitation `invitedBy` sent (an admin removed or no longer an
   * admin: what they sent must not outlive their right to send it); returns them.
   */
  async cancelFrom(tenantId: string, invitedBy: string): Promise<Invitation[]> {
    const theirs = (await this.list(tenantId)).filter((i) => i.invitedBy === invitedBy)
    const cancelled = await Promise.all(theirs.map((i) => this.cancel(tenantId, i.id)))
    return cancelled.filter((i): i is Invitation => i !== undefined)
  }

  /** The invitation a link belongs to, without using it up (the form page). */
  async peek(token: string): Promise<Invitation | undefined> {
    if (!LINK_TOKEN.test(token)) return undefined
    const owner = await this.redis.get(inviteTokenKey(digestOf(token)))
    return owner ? this.byOwner(owner) : undefined
  }

  /** Uses the link up (GETDEL: it works once) and ends the invitation. */
  async take(token: string): Promise<Invitation | undefined> {
    if (!LINK_TOKEN.test(token)) return undefined
    const owner = await this.redis.getdel(inviteTokenKey(digestOf(token)))
    const invitation = owner ? await this.byOwner(owner) : undefined
    if (invitation) await this.redis.hdel(tenantInvitesKey(invitation.tenantId), invitation.id)
    return invitation
  }

  private async issue(i: Invitation): Promise<{ invitation: Invitation; token: string }> {
    const { token, digest } = newLinkToken()
    const stored: Stored = { ...visible(i), expiresAt: Date.now() + INVITE_TTL_SEC * 1000, digest }
    await this.redis.hset(tenantInvitesKey(i.tenantId), i.id, JSON.stringify(stored))
    await this.redis.set(inviteTokenKey(digest), `${i.tenantId}:${i.id}`, 'EX', INVITE_TTL_SEC)
    return { invitation: visible(stored), token }
  }

  private async get(tenantId: string, id: string): Promise<Stored | undefined> {
    const raw = await this.redis.hget(tenantInvitesKey(tenantId), id)
    const stored = raw ? (JSON.parse(raw) as Stored) : undefined
    return stored && stored.expiresAt > Date.now() ? stored : undefined
  }

  private async byOwner(owner: string): Promise<Invitation | undefined> {
    const [tenantId, id] = owner.split(':') as [string, string]
    const stored = await this.get(tenantId, id)
    return stored ? visible(stored) : undefined
  }
}

function visible(s: Invitation): Invitation {
  const { id, tenantId, email, role, invitedBy, createdAt, expiresAt } = s
  return { id, tenantId, email, role, invitedBy, createdAt, expiresAt }
}
