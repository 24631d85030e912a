/**
 * The kept read's hash (connections/kept-read.ts), one per connection beside its record:
 * `e` the epoch (a random token every clear of the account sets anew), `s` the stamp (set
 * anew by every change of what an answer says beside the read: status, name), `v` the last
 * read (`{"p":profile,"at":readAt}`), `b` a pre-serialised answer built from that read
 * (`<readAt>\n<body>`), `x` when the last read that was tried failed.
 */
export const EPOCH = 'e'
export const STAMP = 's'
export const VALUE = 'v'
export const BODY = 'b'
export const FAILED = 'x'

/**
 * How long the hash outlives its last write or clear. An epoch must outlive every read that
 * started under it (bounded by the provider's timeouts, far below this), else a read begun
 * before a clear could find the hash lapsed and its own (absent) epoch back.
 */
export const HASH_TTL_MS = 120_000

/** Releases the read's lock (KEYS[2]) if `token` still holds it. */
const RELEASE = (token: string) => `
if ${token} ~= '' and redis.call('GET', KEYS[2]) == ${token} then redis.call('DEL', KEYS[2]) end`

/**
 * Stores a read only if no clear came in between, and releases the lock of the read.
 * KEYS: the hash, the lock. ARGV: epoch read ('' for none), value, lock token ('' for none).
 * Returns 1 when stored.
 */
export const WRITE = `${RELEASE('ARGV[3]')}
if (redis.call('HGET', KEYS[1], '${EPOCH}') or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], '${VALUE}', ARGV[2])
redis.call('HDEL', KEYS[1], '${BODY}', '${FAILED}')
redis.call('PEXPIRE', KEYS[1], ${HASH_TTL_MS})
return 1`

/**
 * Tells those waiting for a read that it failed, and releases its lock. KEYS: the hash, the
 * lock. ARGV: when (ms), lock token.
 */
export const FAIL = `${RELEASE('ARGV[2]')}
redis.call('HSET', KEYS[1], '${FAILED}', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ${HASH_TTL_MS})
return 1`

/** A new epoch: what was kept is gone, and reads under way cannot store theirs. ARGV[1]: the token. */
export const CLEAR = `
redis.call('HSET', KEYS[1], '${EPOCH}', ARGV[1], '${STAMP}', ARGV[1])
redis.call('HDEL', KEYS[1], '${VALUE}', '${BODY}', '${FAILED}')
redis.call('PEXPIRE', KEYS[1], ${HASH_TTL_MS})
return 1`

/** A new stamp: the read stays, answers built beside it are gone. ARGV[1]: the token. */
export const RESTAMP = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], '${STAMP}', ARGV[1])
redis.call('HDEL', KEYS[1], '${BODY}')
return 1`

/**
 * Keeps an answer built from the read stored at `readAt`, only while that read is still the
 * one kept under the same epoch and stamp. ARGV: epoch, stamp, readAt, body. Returns 1 when kept.
 */
export const KEEP_BODY = `
local marks = redis.call('HMGET', KEYS[1], '${EPOCH}', '${STAMP}')
if (marks[1] or '') ~= ARGV[1] or (marks[2] or '') ~= ARGV[2] then return 0 end
local v = redis.call('HGET', KEYS[1], '${VALUE}')
local tail = '"at":' .. ARGV[3] .. '}'
if not v or string.sub(v, -#tail) ~= tail then return 0 end
redis.call('HSET', KEYS[1], '${BODY}', ARGV[3] .. '\\n' .. ARGV[4])
return 1`

/**
 * A reader's first round trip: the marks and the read if it answers this reader, else the
 * lock, so a miss starts the provider call one round trip sooner. KEYS: the hash, the lock.
 * ARGV: now (ms), TTL (ms), '1' for a fresh read, asked (ms; a fresh read is answered only by
 * a read finished after it), lock token, lock ms. Returns epoch, stamp, the read ('' when it
 * does not answer), 1 when this reader took the lock.
 */
export const PEEK_OR_LOCK = `
local found = redis.call('HMGET', KEYS[1], '${EPOCH}', '${STAMP}', '${VALUE}')
local epoch, stamp, v = found[1] or '', found[2] or '', found[3]
local at = v and tonumber(string.match(v, '"at":(%d+)}$'))
if at then
  local answers
  if ARGV[3] == '1' then answers = at >= tonumber(ARGV[4]) else answers = tonumber(ARGV[1]) - at < tonumber(ARGV[2]) end
  if answers then return {epoch, stamp, v, 0} end
end
local locked = redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[6], 'NX')
return {epoch, stamp, '', locked and 1 or 0}`
