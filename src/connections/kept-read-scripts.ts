/**
 * The kept read's hash (connections/kept-read.ts), one per connection beside its record:
 * `e` the epoch (a random token every clear sets anew), `v` the last read
 * (`{"p":profile,"at":readAt}`), `b` a pre-serialised answer built from that read
 * (`<readAt>\n<body>`), `x` when the last read that was tried failed.
 */
export const EPOCH = 'e'
export const VALUE = 'v'
export const BODY = 'b'
export const FAILED = 'x'

/**
 * How long the hash outlives its last write or clear. An epoch must outlive every read that
 * started under it (bounded by the provider's timeouts, far below this), else a read begun
 * before a clear could find the hash lapsed and its own (absent) epoch back.
 */
export const HASH_TTL_MS = 120_000

/**
 * Stores a read only if no clear came in between. KEYS[1]: the hash. ARGV: epoch read
 * ('' for none), value. Returns 1 when stored.
 */
export const WRITE = `
if (redis.call('HGET', KEYS[1], '${EPOCH}') or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], '${VALUE}', ARGV[2])
redis.call('HDEL', KEYS[1], '${BODY}', '${FAILED}')
redis.call('PEXPIRE', KEYS[1], ${HASH_TTL_MS})
return 1`

/** A new epoch: what was kept is gone, and reads under way cannot store theirs. ARGV[1]: the epoch. */
export const CLEAR = `
redis.call('HSET', KEYS[1], '${EPOCH}', ARGV[1])
redis.call('HDEL', KEYS[1], '${VALUE}', '${BODY}', '${FAILED}')
redis.call('PEXPIRE', KEYS[1], ${HASH_TTL_MS})
return 1`

/**
 * Keeps an answer built from the read stored at `readAt`, only while that read is still the
 * one kept under the same epoch. ARGV: epoch, readAt, body. Returns 1 when kept.
 */
export const KEEP_BODY = `
if (redis.call('HGET', KEYS[1], '${EPOCH}') or '') ~= ARGV[1] then return 0 end
local v = redis.call('HGET', KEYS[1], '${VALUE}')
local tail = '"at":' .. ARGV[2] .. '}'
if not v or string.sub(v, -#tail) ~= tail then return 0 end
redis.call('HSET', KEYS[1], '${BODY}', ARGV[2] .. '\\n' .. ARGV[3])
return 1`
