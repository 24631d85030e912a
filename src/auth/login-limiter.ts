import { isIP } from 'node:net'
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
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

/** A sign-in attempt the limits allowed; say how it ended so only failures keep counting. */
export interface LoginAttempt {
  allowed: true
  /** The password matched: the account's failures on this network are cleared, this one refunded. */
  succeeded(): Promise<void>
  /** The check itself failed (Redis, a bug): nothing was learnt, so the attempt is refunded. */
  abandoned(): Promise<void>
}
export type LoginReservation = LoginAttempt | { allowed: false; retryAfterSec: number }

/**
 * Failed sign-ins counted in Redis, so every instance shares the limits. An attempt is
 * reserved (atomically, one Lua INCR per counter) before the password is checked, so
 * guesses sent in parallel cannot all slip through before the first failure is recorded;
 * a success gives its reservation back, so only failures count.
 *
 * Two counters: per client address (password spraying across accounts) and per account
 * *and network* (guessing one account). The second is kept per network so that a stranger
 * elsewhere cannot lock a person out of their own account.
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

  /** Reserves one attempt for `email` from `ip` (both counters), or says how long to wait. */
  async reserveLogin(ip: string, email: string): Promise<LoginReservation> {
    const ipKey = clientAddress(ip)
    const accountKey = `${email}|${clientNetwork(ip)}`
    const taken = await Promise.allSettled([this.ip.consume(ipKey), this.account.consume(accountKey)])
    const [byIp, byAccount] = taken
    const refundIp = () => this.ip.reward(ipKey, 1).then(() => undefined)
    const refundAccount = () => this.account.reward(accountKey, 1).then(() => undefined)
    // Give back whatever was taken when the attempt does not go ahead.
    const refundTaken = () =>
      Promise.all([
        byIp.status === 'fulfilled' ? refundIp() : undefined,
        byAccount.status === 'fulfilled' ? refundAccount() : undefined,
      ]).then(() => undefined)

    const broken = taken.find((r) => r.status === 'rejected' && !(r.reason instanceof RateLimiterRes))
    if (broken?.status === 'rejected') {
      await refundTaken().catch(() => undefined)
      throw broken.reason
    }
    const refused = taken.flatMap((r) => (r.status === 'rejected' ? [r.reason as RateLimiterRes] : []))
    if (refused.length > 0) {
      await refundTaken()
      const ms = Math.max(...refused.map((r) => r.msBeforeNext))
      return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(ms / 1000)) }
    }
    return {
      allowed: true,
      succeeded: async () => {
        await Promise.all([refundIp(), this.account.delete(accountKey)])
      },
      abandoned: async () => {
        await Promise.all([refundIp(), refundAccount()])
      },
    }
  }

  /** Consumes one signup attempt; returns seconds to wait when over the limit. */
  async consumeSignup(ip: string): Promise<number> {
    try {
      await this.signup.consume(ip)
      return 0
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res
      return Math.max(1, Math.ceil(res.msBeforeNext / 1000))
    }
  }
}

/**
 * The address the per-address counter is kept for: an IPv4 address as it is (IPv4-mapped
 * IPv6 too), and for IPv6 its /64, since one host may use any address in its /64.
 */
export function clientAddress(ip: string): string {
  const v4 = ipv4Of(ip)
  if (v4) return v4
  return isIP(ip) === 6 ? `${ipv6Groups(ip).slice(0, 4).join(':')}::/64` : ip
}

/** The network the per-account counter is kept for: IPv4 /24, IPv6 /64. */
export function clientNetwork(ip: string): string {
  const v4 = ipv4Of(ip)
  if (v4) return `${v4.split('.').slice(0, 3).join('.')}.0/24`
  return clientAddress(ip)
}

function ipv4Of(ip: string): string | undefined {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)?.[1] ?? ip
  return isIP(mapped) === 4 ? mapped : undefined
}

/** The eight 16-bit groups of an IPv6 address, zero-padded, lower case ("::" expanded). */
function ipv6Groups(ip: string): string[] {
  const bare = ip.split('%')[0]!.toLowerCase()
  const toGroups = (part: string): string[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => {
          if (!g.includes('.')) return [g]
          const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number]
          return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)]
        })
  const [head = '', tail] = bare.split('::')
  const left = toGroups(head)
  const right = tail === undefined ? [] : toGroups(tail)
  const zeros = Array<string>(8 - left.length - right.length).fill('0')
  return [...left, ...zeros, ...right].map((g) => g.padStart(4, '0'))
}
