import type { RedisClient } from '../redis/client.js'
import { DATA_KEYS_MIGRATED_KEY } from '../redis/data-keys.js'
import { ANY_TENANT } from '../redis/keys.js'
import { dataKeyIdOf } from '../crypto/data-key-cipher.js'
import type { TenantCiphers } from '../crypto/tenant-ciphers.js'
import { reseal, sealedValues, SEALED_KINDS, type SealedKind } from './sealed-values.js'

export interface ReencryptCounts {
  reencrypted: number
  current: number
  /** Not decryptable with any configured key, or rewritten concurrently on every attempt. */
  failed: number
}

export type ReencryptReport = Record<'dataKeys' | SealedKind, ReencryptCounts>

const zero = (): ReencryptCounts => ({ reencrypted: 0, current: 0, failed: 0 })

/** A retired data key is dropped once every instance's cache (a minute) has moved on. */
export const RETIRED_KEY_GRACE_MS = 2 * 60_000

/**
 * Moves values still sealed with TOKEN_ENCRYPTION_KEY itself (the format before data keys)
 * onto their organisation's data key, for one organisation or all (`'*'`), and drops data
 * keys retired long enough ago. Compare-and-set per value: safe while the app serves.
 */
async function moveOntoDataKeys(
  redis: RedisClient,
  ciphers: TenantCiphers,
  tenantId: string,
  stale: (blob: string, currentId: string) => boolean,
): Promise<Record<SealedKind, ReencryptCounts>> {
  const report = Object.fromEntries(SEALED_KINDS.map((k) => [k, zero()])) as Record<
    SealedKind,
    ReencryptCounts
  >
  const seen = new Set<string>()
  for await (const v of sealedValues(redis, tenantId)) {
    seen.add(v.tenantId)
    let outcome
    try {
      const sealer = await ciphers.forTenant(v.tenantId)
      outcome = await reseal(redis, v, sealer, (blob) => stale(blob, sealer.currentKeyId))
    } catch {
      outcome = 'failed' as const
    }
    if (outcome) report[v.kind][outcome]++
  }
  for (const t of seen) await ciphers.dropRetired(t, RETIRED_KEY_GRACE_MS)
  return report
}

/**
 * After TOKEN_ENCRYPTION_KEY changed (old ones in TOKEN_ENCRYPTION_OLD_KEYS): re-wraps every
 * organisation's data key under the current key; values sealed with data keys stay as they
 * are. Values from before data keys are moved onto them on the way.
 */
export async function reencryptAll(redis: RedisClient, ciphers: TenantCiphers): Promise<ReencryptReport> {
  const dataKeys = await ciphers.rewrapAll()
  const values = await moveOntoDataKeys(redis, ciphers, ANY_TENANT, (blob) => dataKeyIdOf(blob) === undefined)
  return {
    dataKeys: { reencrypted: dataKeys.rewrapped, current: dataKeys.current, failed: dataKeys.failed },
    ...values,
  }
}

/** A new data key for one organisation, and every one of its values re-sealed with it. */
export async function rotateTenantKey(
  redis: RedisClient,
  ciphers: TenantCiphers,
  tenantId: string,
): Promise<ReencryptReport> {
  await ciphers.rotate(tenantId)
  const values = await moveOntoDataKeys(redis, ciphers, tenantId, (blob, id) => dataKeyIdOf(blob) !== id)
  return { dataKeys: { reencrypted: 1, current: 0, failed: 0 }, ...values }
}

/**
 * The start-up migration of an install from before data keys: once (a flag in Redis), every
 * value sealed with TOKEN_ENCRYPTION_KEY directly moves onto its organisation's data key.
 * Until it has run, such values still open (the cipher reads both formats). Null when
 * already done.
 */
export async function migrateToDataKeysOnce(
  redis: RedisClient,
  ciphers: TenantCiphers,
): Promise<ReencryptReport | null> {
  if (await redis.get(DATA_KEYS_MIGRATED_KEY)) return null
  const values = await moveOntoDataKeys(redis, ciphers, ANY_TENANT, (blob) => dataKeyIdOf(blob) === undefined)
  // Values no key opens stay as they were (and are not retried on every start).
  await redis.set(DATA_KEYS_MIGRATED_KEY, String(Date.now()))
  return { dataKeys: zero(), ...values }
}

export function formatReport(r: ReencryptReport): string {
  const line = (name: string, c: ReencryptCounts) =>
    `${name}: ${c.reencrypted} re-encrypted, ${c.current} already current, ${c.failed} failed`
  return [
    line('data keys', r.dataKeys),
    line('connections', r.connections),
    line('tenant credentials', r.credentials),
    line('webhook secrets', r.webhooks),
    line('sign-in secrets', r.signin),
  ].join('\n')
}
