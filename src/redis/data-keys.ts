import { tenantKey } from './keys.js'

/**
 * Key names of the data lifecycle (issue 27): data keys, deletions, the operator log.
 * Kept beside keys.ts (which is at its size limit); the same rules apply.
 */

/**
 * The organisation's data keys: field `current` names the key new values are sealed with,
 * `k:<id>` holds each key wrapped by TOKEN_ENCRYPTION_KEY (the wrapped blob names that
 * key's id), `n:<id>` counts its GCM encryptions, `r:<id>` when it was retired (epoch ms).
 */
export const dataKeyKey = (tenantId: string) => tenantKey(tenantId, 'data-key')
/** Every key of one organisation, as a SCAN glob (slugs are `[a-z0-9-]`: nothing to escape). */
export const tenantKeysPattern = (tenantId: string) => tenantKey(tenantId, '*')
/** Global: organisations being (or once) deleted; a new organisation under the slug leaves it. */
export const TENANTS_DELETING_KEY = 'tenants:deleting'
/** Global: the operator log (a capped stream), outside any organisation, so it survives one. */
export const OPERATOR_LOG_KEY = 'ops:log'
/** Global: set once every value sealed directly with TOKEN_ENCRYPTION_KEY was moved to data keys. */
export const DATA_KEYS_MIGRATED_KEY = 'data-keys:migrated:v1'
/** Global: the global keys (emails, API key hashes, links) an unfinished deletion still has to remove. */
export const tenantDeletionKey = (tenantId: string) => `deletion:${tenantId}`
/** Global: an email change waiting for its confirmation link, named by the link token's digest (24 h). */
export const emailChangeKey = (tokenDigest: string) => `email-change:${tokenDigest}`
/** The SHA-256 (canonical JSON) of the organisation's newest audit entry and its id: the chain's head. */
export const auditHeadKey = (tenantId: string) => tenantKey(tenantId, 'audit-head')
/**
 * The organisation's global keys that expire on their own (reconnect links, connect flows),
 * a sorted set of key name by expiry (epoch ms), so deleting the organisation finds them.
 */
export const globalTrailKey = (tenantId: string) => tenantKey(tenantId, 'global-trail')
