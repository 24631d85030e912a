import { tenantKey } from './keys.js'

/**
 * Key names of the tenant API (issue 17, 30): its keys, their rate limit, idempotency and
 * the kept listings. Kept beside keys.ts (which is at its size limit); the same rules apply.
 */

/** The tenant's API keys (id → JSON: name, scopes, created, hash; never the key itself). */
export const apiKeysKey = (tenantId: string) => tenantKey(tenantId, 'api-keys')
/** When each of the tenant's API keys was last used (id → epoch ms). */
export const apiKeysUsedKey = (tenantId: string) => tenantKey(tenantId, 'api-keys-used')
/**
 * A counter of changes to what the tenant's connection listing shows: a connection's status
 * or names (connections/follow-ups.ts), its last read (support-index.ts), its owner's email
 * (user-store.ts). Each writer adds one after its write, so a listing built before it is
 * never kept or answered (api/kept-listing.ts).
 */
export const listingVersionKey = (tenantId: string) => tenantKey(tenantId, 'listing-version')
/** `GET /api/v1/connections` answers kept per query string, each with the version it was built at. */
export const keptListingsKey = (tenantId: string) => tenantKey(tenantId, 'kept-listings')
/** Global: a key's SHA-256 (hex) → who it belongs to; a bearer finds its tenant in one read. */
export const apiKeyHashKey = (sha256Hex: string) => `apikey:${sha256Hex}`
/** Global: rate-limiter-flexible's prefix for the per-key API limit; it appends `:<key id>`. */
export const API_RATE_LIMIT_PREFIX = 'rl:api-key'
/** Before idempotency per organisation: one Idempotency-Key of one API key (expired within 24 h). */
export const idempotencyKey = (tenantId: string, apiKeyId: string, keyDigest: string) =>
  tenantKey(tenantId, `idem:${apiKeyId}:${keyDigest}`)
/** One Idempotency-Key (its digest) of the organisation, any of its API keys or MCP: the first answer, 24 h. */
export const organisationIdempotencyKey = (tenantId: string, keyDigest: string) =>
  tenantKey(tenantId, `idem-org:${keyDigest}`)
