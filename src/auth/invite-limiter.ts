import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import type { RedisClient } from '../redis/client.js'
import { rateLimitKeyPrefix } from '../redis/keys.js'
import { AppError } from '../errors/app-error.js'

type Limit = { points: number; durationSec: number }

/** People an admin may invite or add: per admin, per organisation, less for a new organisation. */
export interface InviteLimits {
  perAdmin: Limit
  perOrganisation: Limit
  perNewOrganisation: Limit
  /** An organisation is new for this long after it was made. */
  newForSec: number
}

export const DEFAULT_INVITE_LIMITS: InviteLimits = {
  perAdmin: { points: 20, durationSec: 3600 },
  perOrganisation: { points: 100, durationSec: 24 * 3600 },
  perNewOrganisation: { points: 10, durationSec: 24 * 3600 },
  newForSec: 7 * 24 * 3600,
}

/** Which limit refused, and how long until it would let one more through. */
export type InviteRefusal = { by: 'admin' | 'organisation'; retryAfterSec: number }

/**
 * Every invitation (sent or sent again) and every user added with a password counts, in
 * Redis so all instances share it: a self-signed-up admin cannot turn the form into a mail
 * relay (invitation mails carry the organisation's name, which its admin wrote) nor probe
 * addresses at speed. A new organisation's mail is capped lower until it has been around.
 */
export class InviteLimiter {
  private readonly admin: RateLimiterRedis
  private readonly org: RateLimiterRedis
  private readonly newOrg: RateLimiterRedis

  constructor(
    redis: RedisClient,
    private readonly limits: InviteLimits = DEFAULT_INVITE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    const make = (keyPrefix: string, l: Limit) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix, points: l.points, duration: l.durationSec })
    this.admin = make(rateLimitKeyPrefix('invite-admin'), limits.perAdmin)
    this.org = make(rateLimitKeyPrefix('invite-org'), limits.perOrganisation)
    this.newOrg = make(rateLimitKeyPrefix('invite-new-org'), limits.perNewOrganisation)
  }

  /**
   * Counts one person invited or added by `adminId` of the organisation made at
   * `orgCreatedAt`; null when it may go ahead, else the refusal (nothing counted then).
   */
  async consume(tenantId: string, adminId: string, orgCreatedAt: number): Promise<InviteRefusal | null> {
    const adminKey = `${tenantId}:${adminId}`
    const byAdmin = await refusalOf(this.admin.consume(adminKey))
    if (byAdmin !== null) return { by: 'admin', retryAfterSec: byAdmin }
    const isNew = this.now() - orgCreatedAt < this.limits.newForSec * 1000
    const orgLimiter = isNew ? this.newOrg : this.org
    const byOrg = await refusalOf(orgLimiter.consume(tenantId))
    if (byOrg === null) return null
    await this.admin.reward(adminKey, 1)
    return { by: 'organisation', retryAfterSec: byOrg }
  }
}

/** null when the consume went through, else the seconds to wait. */
async function refusalOf(consumed: Promise<RateLimiterRes>): Promise<number | null> {
  try {
    await consumed
    return null
  } catch (res) {
    if (!(res instanceof RateLimiterRes)) throw res
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000))
  }
}

/** Refused by an InviteLimiter: the routes say which limit, in the reader's language. */
export class TooManyInvites extends AppError {
  constructor(readonly refusal: InviteRefusal) {
    super('rate_limited', 'Too many people invited or added; try again later.', { status: 429 })
  }
}
