import type { RedisClient } from '../redis/client.js'
import {
  ANY_TENANT,
  connectionKeyPattern,
  isConnectionKey,
  tenantCredentialsKey,
  webhookSettingsKey,
} from '../redis/keys.js'
import { scanKeys } from '../redis/scan.js'
import { TokenCipher } from '../crypto/token-cipher.js'
import { SECRET_FIELDS, secretFields } from '../connections/record.js'

export interface ReencryptCounts {
  reencrypted: number
  current: number
  /** Not decryptable with any configured key, or rewritten concurrently on every attempt. */
  failed: number
}

export interface ReencryptReport {
  connections: ReencryptCounts
  credentials: ReencryptCounts
  webhooks: ReencryptCounts
}

// Replaces a hash field only if it still holds the value read: a token refresh that
// lands between our read and our write wins, so a rotated refresh token is never
// overwritten with the previous one. ARGV: field, expected, then field/value pairs.
const SWAP_SCRIPT = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
return 1`

const ATTEMPTS = 5

type Outcome = keyof ReencryptCounts

/**
 * Re-encrypts one hash field under the cipher's current key. `reseal` returns the new
 * field value and any companion fields, or undefined when it is already current. A value
 * stored across several fields (`parts`, read together) is compared by its first, which
 * holds the random IV, so any rewrite changes it.
 */
async function reencryptField(
  redis: RedisClient,
  key: string,
  field: string,
  reseal: (stored: string) => string[] | undefined,
  parts: string[] = [field],
): Promise<Outcome | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const read = await redis.hmget(key, ...parts)
    const first = read[0] ?? null
    if (first === null) return undefined // deleted meanwhile: nothing to do
    const stored = read.map((v) => v ?? '').join('')
    let fields: string[] | undefined
    try {
      fields = reseal(stored)
    } catch {
      return 'failed'
    }
    if (!fields) return 'current'
    if ((await redis.eval(SWAP_SCRIPT, 1, key, field, first, ...fields)) === 1) return 'reencrypted'
  }
  return 'failed'
}

/**
 * Re-encrypts every connection secret, every tenant's own provider credentials and webhook
 * signing secret under the current TOKEN_ENCRYPTION_KEY (old ones still decrypt via
 * TOKEN_ENCRYPTION_OLD_KEYS). Safe while the app serves: each write is compare-and-set.
 */
export async function reencryptAll(redis: RedisClient, cipher: TokenCipher): Promise<ReencryptReport> {
  const zero = (): ReencryptCounts => ({ reencrypted: 0, current: 0, failed: 0 })
  const report: ReencryptReport = { connections: zero(), credentials: zero(), webhooks: zero() }
  const current = (blob: string) => TokenCipher.keyIdOf(blob) === cipher.currentKeyId

  for await (const key of scanKeys(redis, connectionKeyPattern())) {
    if (!isConnectionKey(key)) continue // refresh locks share the pattern
    const reseal = (blob: string) => {
      if (current(blob)) return undefined
      const fields = Object.entries(secretFields(cipher.encrypt(cipher.decrypt(blob, key), key)))
      // The same plaintext under the same format is as long as before: no part is left over.
      return [...fields.filter(([, v]) => v !== '').flat(), 'keyId', cipher.currentKeyId]
    }
    const outcome = await reencryptField(redis, key, 'secrets', reseal, SECRET_FIELDS)
    if (outcome) report.connections[outcome]++
  }

  for await (const key of scanKeys(redis, tenantCredentialsKey(ANY_TENANT))) {
    for (const provider of await redis.hkeys(key)) {
      const aad = `${key}:${provider}`
      const outcome = await reencryptField(redis, key, provider, (raw) => {
        const stored = JSON.parse(raw) as { secret: string }
        if (current(stored.secret)) return undefined
        const secret = cipher.encrypt(cipher.decrypt(stored.secret, aad), aad)
        return [provider, JSON.stringify({ ...stored, secret })]
      })
      if (outcome) report.credentials[outcome]++
    }
  }

  for await (const key of scanKeys(redis, webhookSettingsKey(ANY_TENANT))) {
    const outcome = await reencryptField(redis, key, 'secret', (blob) =>
      current(blob) ? undefined : ['secret', cipher.encrypt(cipher.decrypt(blob, key), key)],
    )
    if (outcome) report.webhooks[outcome]++
  }
  return report
}

export function formatReport(r: ReencryptReport): string {
  const line = (name: string, c: ReencryptCounts) =>
    `${name}: ${c.reencrypted} re-encrypted, ${c.current} already current, ${c.failed} failed`
  return [
    line('connections', r.connections),
    line('tenant credentials', r.credentials),
    line('webhook secrets', r.webhooks),
  ].join('\n')
}
