import { RateLimiterRedis } from 'rate-limiter-flexible'
import type { RedisClient } from '../redis/client.js'
import { rateLimitKeyPrefix } from '../redis/keys.js'

export interface LoginLimits {
  perIp: { points: number; durationSec: number }
  perAccount: { points: number; durationSec: number }
  signupPerIp: { points: number; durationSec: number }
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perIp: { points: 30, durationSec: 15 * 60 },
  perAccount: { points: 5, durationSec: 15 * 60 },
  signupPerIp: { points: 10, durationSec: 60 * 60 },
}

/**
 * Failed logins counted in Redis, so every instance shares the limit. Only failures
 * count: a user who signs in correctly is never slowed down by their own success.
 */
export class LoginLimiter {
  private readonly ip: RateLimiterRedis
  private readonly account: RateLimiterRedis
  private readonly signup: RateLimiterRedis

  constructor(redis: RedisClient, limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    const make = (keyPrefix: string, l: { points: number; durationSec: number }) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix, points: l.points, duration: l.durationSec })
    this.ip = make(rateLimitKeyPrefix('login-ip'), limits.perIp)
    this.account = make(rateLimitKeyPrefix('login-acct'), limits.perAccount)
    this.signup = make(rateLimitKeyPrefix('signup-ip'), limits.signupPerIp)
  }

  /** Seconds until another attempt is allowed, or 0 when it is allowed now. */
  async loginBlockedFor(ip: string, email: string): Promise<number> {
    const [byIp, byAccount] = await Promise.all([this.ip.get(ip), this.account.get(email)])
    const blocked = [
      byIp && byIp.consumedPoints >= this.ip.points ? byIp.msBeforeNext : 0,
      byAccount && byAccount.consumedPoints >= this.account.points ? byAccount.msBeforeNext : 0,
    ]
    return Math.ceil(Math.max(...blocked) / 1000)
  }

  async recordFailure(ip: string, email: string): Promise<void> {
    await Promise.all([this.ip.penalty(ip, 1), this.account.penalty(email, 1)])
  }

  async recordSuccess(email: string): Promise<void> {
    await this.account.delete(email)
  }

  /** Consumes one signup attempt; returns seconds to wait when over the limit. */
  async consumeSignup(ip: string): Promise<number> {
    try {
      await this.signup.consume(ip)
      return 0
    } catch (res) {
      const ms = (res as { msBeforeNext?: number }).msBeforeNext
      if (typeof ms !== 'number') throw res
      return Math.ceil(ms / 1000)
    }
  }
}
