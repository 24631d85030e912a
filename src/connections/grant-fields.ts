import { randomBytes } from 'node:crypto'
import type { Sealer } from '../crypto/data-key-cipher.js'
import type { RedisClient } from '../redis/client.js'
import {
  connectionKey,
  KEEPALIVE_TENANTS_KEY,
  tenantCheckedKey,
  tenantConnectionsKey,
  tenantHealthKey,
} from '../redis/keys.js'
import type { Grant } from '../providers/types.js'
import { memberOf } from './member.js'
import { secretFields, type ConnectionRecord } from './record.js'

/** A grant as the connection hash stores it, its secrets sealed with the organisation's data key. */
export function grantFields(sealer: Sealer, key: string, grant: Grant): Record<string, string> {
  return {
    ...secretFields(sealer.encrypt(JSON.stringify(grant.secrets), key)),
    expiresAt: grant.expiresAt ? String(grant.expiresAt) : '',
    obtainedAt: String(grant.obtainedAt),
    scopes: grant.scopes.join(' '),
    accountId: grant.accountId,
    accountLabel: grant.accountLabel,
    keyId: '', // not stored (the blob names its key): '' deletes an old copy
    status: 'connected',
    statusReason: '',
    updatedAt: String(Date.now()),
  }
}

export function newGeneration(): string {
  return randomBytes(8).toString('hex')
}

/**
 * Writes whole records of one tenant in one pipeline, as they are (status and times
 * included): for seeding demo data, where nothing else is writing them.
 */
export async function importRecords(
  redis: RedisClient,
  sealer: Sealer,
  records: ConnectionRecord[],
): Promise<void> {
  const p = redis.pipeline()
  for (const r of records) {
    const key = connectionKey(r.ref)
    const fields = Object.entries({
      ...grantFields(sealer, key, r.grant),
      ...{ status: r.status, statusReason: r.statusReason ?? '', createdAt: String(r.createdAt) },
      ...{ updatedAt: String(r.updatedAt), checkedAt: String(r.checkedAt) },
      generation: r.generation || newGeneration(),
    })
    p.hset(key, Object.fromEntries(fields.filter(([, v]) => v !== '')))
    p.zadd(tenantConnectionsKey(r.ref.tenantId), r.createdAt, memberOf(r.ref))
    if (r.status !== 'needs_reconnect') p.zadd(tenantCheckedKey(r.ref.tenantId), r.checkedAt, memberOf(r.ref))
    if (r.status !== 'connected')
      p.hset(tenantHealthKey(r.ref.tenantId), memberOf(r.ref), `${r.status}:${r.statusReason ?? ''}`)
  }
  await p.exec()
  // A global key lives in another Cluster slot than the tenant's: its own command.
  await redis.sadd(KEEPALIVE_TENANTS_KEY, ...new Set(records.map((r) => r.ref.tenantId)))
}
