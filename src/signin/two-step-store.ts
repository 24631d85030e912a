import { createHash, randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { recoveryCodesKey, twoStepKey } from '../redis/keys.js'
import type { SecretBox } from './secret-box.js'
import { matchingStep, newTotpSecret, normaliseCode } from './totp.js'

export const RECOVERY_CODE_COUNT = 10

/** How a code was accepted: a TOTP code (its step now used up) or a recovery code (now gone). */
export type CodeUse = 'totp' | 'recovery'

// Takes a TOTP step only when it is later than the last one taken: a code works once,
// and so does every earlier code of the drift window (RFC 6238 §5.2).
const TAKE_STEP = `
local last = tonumber(redis.call('HGET', KEYS[1], 'lastStep') or '-1')
if redis.call('HEXISTS', KEYS[1], 'secret') == 0 then return 0 end
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('HSET', KEYS[1], 'lastStep', ARGV[1])
return 1`

const digest = (code: string) => createHash('sha256').update(normaliseCode(code)).digest('hex')

/** Ten random codes like `k3f9q-x2m7p` (50 bits each), shown once and kept only as digests. */
export function newRecoveryCodes(): string[] {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789'
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = randomBytes(10)
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('')
    return `${chars.slice(0, 5)}-${chars.slice(5)}`
  })
}

/**
 * A person's two-step sign-in in Redis: the TOTP secret sealed by the SecretBox (beside
 * the user, in the tenant's slot), the last time step used (replay refused atomically in
 * one script), and the digests of unused recovery codes.
 */
export class TwoStepStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly box: SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  async isEnabled(tenantId: string, userId: string): Promise<boolean> {
    return (await this.redis.hexists(twoStepKey(tenantId, userId), 'secret')) === 1
  }

  async recoveryCodesLeft(tenantId: string, userId: string): Promise<number> {
    return this.redis.scard(recoveryCodesKey(tenantId, userId))
  }

  /**
   * A new secret for set-up, sealed for the session that is setting it up (nothing is
   * stored for the person until a code proves their app has it).
   */
  async newPending(tenantId: string, userId: string): Promise<{ secret: string; sealed: string }> {
    const secret = newTotpSecret()
    return { secret, sealed: await this.box.seal(tenantId, 'totp', `${userId}:pending`, secret) }
  }

  /** The secret of a sealed set-up, or undefined when it is not this person's. */
  async openPending(tenantId: string, userId: string, sealed: string): Promise<string | undefined> {
    try {
      return await this.box.open(tenantId, 'totp', `${userId}:pending`, sealed)
    } catch {
      return undefined
    }
  }

  /** Turns two-step on when `code` matches the set-up's secret; returns the recovery codes, shown once. */
  async enable(
    tenantId: string,
    userId: string,
    sealedPending: string,
    code: string,
  ): Promise<string[] | null> {
    const secret = await this.openPending(tenantId, userId, sealedPending)
    const step = secret && matchingStep(secret, normaliseCode(code), this.now())
    if (!secret || step === null || step === undefined) return null
    const key = twoStepKey(tenantId, userId)
    const codes = newRecoveryCodes()
    const recovery = recoveryCodesKey(tenantId, userId)
    const sealed = await this.box.seal(tenantId, 'totp', userId, secret)
    await this.redis
      .multi()
      .hset(key, {
        secret: sealed,
        enabledAt: String(this.now()),
        lastStep: String(step),
      })
      .del(recovery)
      .sadd(recovery, ...codes.map(digest))
      .exec()
    return codes
  }

  async disable(tenantId: string, userId: string): Promise<void> {
    await this.redis.multi().del(twoStepKey(tenantId, userId)).del(recoveryCodesKey(tenantId, userId)).exec()
  }

  /** Accepts a current TOTP code not used before, or an unused recovery code (used up here). */
  async useCode(tenantId: string, userId: string, raw: string): Promise<CodeUse | null> {
    const code = normaliseCode(raw)
    if (/^\d{6}$/.test(code)) return (await this.takeTotp(tenantId, userId, code)) ? 'totp' : null
    if (code.length !== 10) return null
    const removed = await this.redis.srem(recoveryCodesKey(tenantId, userId), digest(code))
    return removed === 1 ? 'recovery' : null
  }

  private async takeTotp(tenantId: string, userId: string, code: string): Promise<boolean> {
    const key = twoStepKey(tenantId, userId)
    const sealed = await this.redis.hget(key, 'secret')
    if (!sealed) return false
    const step = matchingStep(await this.box.open(tenantId, 'totp', userId, sealed), code, this.now())
    if (step === null) return false
    return (await this.redis.eval(TAKE_STEP, 1, key, String(step))) === 1
  }
}
