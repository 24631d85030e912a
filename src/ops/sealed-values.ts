import type { RedisClient } from '../redis/client.js'
import {
  connectionKey,
  isConnectionKey,
  ssoSettingsKey,
  tenantCredentialsKey,
  twoStepKey,
  webhookSettingsKey,
} from '../redis/keys.js'
import { scanKeys } from '../redis/scan.js'
import { SECRET_FIELDS, secretFields } from '../connections/record.js'
import type { Sealer } from '../crypto/data-key-cipher.js'

/** The kinds of sealed values an organisation keeps, as the operator report names them. */
export const SEALED_KINDS = ['connections', 'credentials', 'webhooks', 'signin'] as const
export type SealedKind = (typeof SEALED_KINDS)[number]

/**
 * One sealed value in Redis: where it is, what it is bound to (associated data), and how
 * to write it back re-sealed. `parts` are the fields read together (the first one changes
 * on every re-seal, as it holds the random IV); `unpack`/`pack` go between the stored
 * text and the sealed blob.
 */
export interface SealedValue {
  kind: SealedKind
  tenantId: string
  key: string
  field: string
  parts: string[]
  aad: string
  unpack(stored: string): string
  /** The field/value pairs to write for a re-sealed blob (`stored` is what was read). */
  pack(blob: string, stored: string): string[]
}

const tenantOf = (key: string) => /^t:\{([^}]+)\}:/.exec(key)?.[1]
const plain = { unpack: (s: string) => s, pack: (b: string) => ['secret', b] }

/**
 * Every sealed value of one organisation (`tenantId`) or of all (`'*'`), found by SCAN (for
 * operator commands and the start-up migration: SCAN walks the keyspace).
 */
export async function* sealedValues(redis: RedisClient, tenantId: string): AsyncGenerator<SealedValue> {
  for await (const key of scanKeys(redis, connectionKey({ tenantId, userId: '*', provider: '*' }))) {
    const t = tenantOf(key)
    // Refresh locks share the pattern.
    if (!t || !isConnectionKey(key)) continue
    yield {
      kind: 'connections',
      tenantId: t,
      key,
      field: 'secrets',
      parts: SECRET_FIELDS,
      aad: key,
      unpack: (s) => s,
      // Unused parts are '' (deleted); `keyId` is from before the blob named its key.
      pack: (b) => [...Object.entries(secretFields(b)).flat(), 'keyId', ''],
    }
  }
  for await (const key of scanKeys(redis, tenantCredentialsKey(tenantId))) {
    const t = tenantOf(key)
    if (!t) continue
    for (const field of await redis.hkeys(key)) {
      // Retired versions (`provider@version`) stay bound to the provider alone.
      const aad = `${key}:${field.split('@')[0]}`
      yield {
        kind: 'credentials',
        tenantId: t,
        key,
        field,
        parts: [field],
        aad,
        unpack: (s) => (JSON.parse(s) as { secret: string }).secret,
        pack: (b, s) => [field, JSON.stringify({ ...(JSON.parse(s) as object), secret: b })],
      }
    }
  }
  for await (const key of scanKeys(redis, webhookSettingsKey(tenantId))) {
    const t = tenantOf(key)
    if (t)
      yield { kind: 'webhooks', tenantId: t, key, field: 'secret', parts: ['secret'], aad: key, ...plain }
  }
  for await (const key of scanKeys(redis, ssoSettingsKey(tenantId))) {
    const t = tenantOf(key)
    const aad = `sso-client:${t}:client`
    if (t) yield { kind: 'signin', tenantId: t, key, field: 'secret', parts: ['secret'], aad, ...plain }
  }
  for await (const key of scanKeys(redis, twoStepKey(tenantId, '*'))) {
    const t = tenantOf(key)
    const userId = /:two-step:(.+)$/.exec(key)?.[1]
    const aad = `totp:${t}:${userId}`
    if (t && userId)
      yield { kind: 'signin', tenantId: t, key, field: 'secret', parts: ['secret'], aad, ...plain }
  }
}

// Replaces a hash field only if it still holds the value read: a token refresh that
// lands between our read and our write wins, so a rotated refresh token is never
// overwritten with the previous one. ARGV: field, expected, then field/value pairs ('' deletes).
const SWAP_SCRIPT = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i]) else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1`

const ATTEMPTS = 5

export type ResealOutcome = 'reencrypted' | 'current' | 'failed'

/**
 * Re-seals one value with `sealer` when `stale(blob)` says so; compare-and-set, so safe
 * while the app serves. Undefined when the value is gone.
 */
export async function reseal(
  redis: RedisClient,
  v: SealedValue,
  sealer: Sealer,
  stale: (blob: string) => boolean,
): Promise<ResealOutcome | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const read = await redis.hmget(v.key, ...v.parts)
    const first = read[0] ?? null
    if (first === null || first === '') return undefined // deleted meanwhile: nothing to do
    const stored = read.map((x) => x ?? '').join('')
    let fields: string[]
    try {
      const blob = v.unpack(stored)
      if (!stale(blob)) return 'current'
      fields = v.pack(sealer.encrypt(sealer.decrypt(blob, v.aad), v.aad), stored)
    } catch {
      return 'failed'
    }
    if ((await redis.eval(SWAP_SCRIPT, 1, v.key, v.field, first, ...fields)) === 1) return 'reencrypted'
  }
  return 'failed'
}
