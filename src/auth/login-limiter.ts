import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import type { RedisClient } from '../redis/client.js'
import { clientAddress, clientNetwork } from './client-network.js'
import type { InviteLimits } from './invite-limiter.js'
import { loginGateKey, loginGenerationKey, rateLimitKeyPrefix } from '../redis/keys.js'

export { clientAddress, clientNetwork } from './client-network.js'

type Limit = { points: number; durationSec: number }
/**
 * Failures of one account from everywhere: past `free`, one attempt is admitted per delay
 * interval (growing, never a lock), the others are refused until it has passed.
 */
export interface SlowDown {
  free: number
  durationSec: number
  baseDelayMs: number
  maxDelayMs: number
}

export interface LoginLimits {
  perIp: Limit
  perAccount: Limit
  signupPerIp: Limit
  perAccountEverywhere?: SlowDown
  /** Reset mails asked for from one address, and sent to one account. */
  forgotPerIp?: Limit
  forgotPerAccount?: Limit
  /** People an admin may invite or add (auth/invite-limiter.ts). */
  invites?: InviteLimits
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perIp: { points: 30, durationSec: 15 * 60 },
  perAccount: { points: 5, durationSec: 15 * 60 },
  signupPerIp: { points: 10, durationSec: 60 * 60 },
}
const DEFAULT_SLOW_DOWN: SlowDown = { free: 20, durationSec: 3600, baseDelayMs: 500, maxDelayMs: 8000 }
const DEFAULT_FORGOT_PER_IP: Limit = { points: 10, durationSec: 15 * 60 }
const DEFAULT_FORGOT_PER_ACCOUNT: Limit = { points: 3, durationSec: 60 * 60 }

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
 * elsewhere cannot lock a person out of their own account. A third counter sees the
 * account's failures from everywhere (a botnet): past a ceiling, the account admits one
 * attempt per delay interval (0.5 s doubling to 8 s) and refuses the others with 429 and
 * the wait, before any password check, so parallel guesses from many networks get one
 * check per interval. A browser that signed in to the account before (`knownDevice`) is
 * never held at that gate, so the person is not kept out by a botnet; nor is anyone after
 * an admin's unlock or a password reset, which bump the account's generation and so start
 * every counter of the account afresh.
 */
export class LoginLimiter {
  private readonly ip: RateLimiterRedis
  private readonly account: RateLimiterRedis
  private readonly signup: RateLimiterRedis
  private readonly everywhere: RateLimiterRedis
  private readonly forgotIp: RateLimiterRedis
  private readonly forgotAccount: RateLimiterRedis
  private readonly slowDown: SlowDown

  constructor(
    private readonly redis: RedisClient,
    limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
  ) {
    const make = (keyPrefix: string, l: Limit) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix, points: l.points, duration: l.durationSec })
    this.ip = make(rateLimitKeyPrefix('login-ip'), limits.perIp)
    this.account = make(rateLimitKeyPrefix('login-acct'), limits.perAccount)
    this.signup = make(rateLimitKeyPrefix('signup-ip'), limits.signupPerIp)
    this.slowDown = limits.perAccountEverywhere ?? DEFAULT_SLOW_DOWN
    // Never refuses (points out of reach): it only counts, and the count sets the delay.
    this.everywhere = make(rateLimitKeyPrefix('login-everywhere'), {
      points: Number.MAX_SAFE_INTEGER,
      durationSec: this.slowDown.durationSec,
    })
    this.forgotIp = make(rateLimitKeyPrefix('forgot-ip'), limits.forgotPerIp ?? DEFAULT_FORGOT_PER_IP)
    this.forgotAccount = make(
      rateLimitKeyPrefix('forgot-acct'),
      limits.forgotPerAccount ?? DEFAULT_FORGOT_PER_ACCOUNT,
    )
  }

  /** Clears every login counter of the account (admin unlock, password reset). */
  async unlock(email: string): Promise<void> {
    await this.redis.incr(loginGenerationKey(email))
  }

  /** Reserves one attempt for `email` from `ip` (all counters), or says how long to wait. */
  async reserveLogin(
    ip: string,
    email: string,
    opts: { knownDevice?: boolean } = {},
  ): Promise<LoginReservation> {
    const generation = (await this.redis.get(loginGenerationKey(email))) ?? '0'
    const ipKey = clientAddress(ip)
    const accountKey = `${email}#${generation}|${clientNetwork(ip)}`
    const everywhereKey = `${email}#${generation}`
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
    const seen = await this.everywhere.consume(everywhereKey)
    const refundEverywhere = () => this.everywhere.reward(everywhereKey, 1)
    const delay = this.delayFor(seen.consumedPoints)
    if (delay > 0 && !opts.knownDevice) {
      const waitMs = await this.admitAfter(loginGateKey(email, generation), delay)
      if (waitMs > 0) {
        await Promise.all([refundTaken(), refundEverywhere()])
        return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)) }
      }
    }
    return {
      allowed: true,
      succeeded: async () => {
        await Promise.all([refundIp(), this.account.delete(accountKey), refundEverywhere()])
      },
      abandoned: async () => {
        await Promise.all([refundIp(), refundAccount(), refundEverywhere()])
      },
    }
  }

  /**
   * 0 when this attempt takes the account's gate for `delayMs` (SET NX: one winner however
   * many arrive at once, on any instance), else how long the gate is still held.
   */
  private async admitAfter(gate: string, delayMs: number): Promise<number> {
    if ((await this.redis.set(gate, '1', 'PX', delayMs, 'NX')) === 'OK') return 0
    const left = await this.redis.pttl(gate)
    return left > 0 ? left : 1
  }

  /** The interval after the n-th attempt of a window: none up to the ceiling, then doubling. */
  delayFor(attempt: number): number {
    const { free, baseDelayMs, maxDelayMs } = this.slowDown
    if (attempt <= free) return 0
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(30, attempt - free - 1))
  }

  /**
   * One reset request: `wait` > 0 refuses it (too many from this address, the same for any
   * email); `mail` false means the account has had its share of mails and gets none now.
   */
  async consumeForgot(ip: string, email: string): Promise<{ wait: number; mail: boolean }> {
    const wait = await waitOf(this.forgotIp.consume(clientAddress(ip)))
    if (wait > 0) return { wait, mail: false }
    return { wait: 0, mail: (await waitOf(this.forgotAccount.consume(email))) === 0 }
  }

  /** Consumes one signup attempt; returns seconds to wait when over the limit. */
  consumeSignup(ip: string): Promise<number> {
    return waitOf(this.signup.consume(ip))
  }
}

/** 0 when the consume went through, else the seconds to wait. */
async function waitOf(consumed: Promise<RateLimiterRes>): Promise<number> {
  try {
    await consumed
    return 0
  } catch (res) {
    if (!(res instanceof RateLimiterRes)) throw res
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000))
  }
}
