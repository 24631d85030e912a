import { PAGES } from './word-scripts.js'

/**
 * The balance order lives in the word index's pages (namespace `b`), not in a sorted set of
 * its own: an entry there costs about 35 bytes against about 120. Its key is the amount in
 * ten-thousandths plus 2^52 as 14 hex digits (so text order is number order, negatives
 * included), or `!` before any read (first going up, last going down, as -inf was). The
 * scripts derive a member's key from its stored read, the one place the amount is kept.
 * KEYS: the word index, the member's read bucket, the balance set and reads from before the
 * pages (the member leaves them), the connection record.
 */
const KEY_OF = `
local function keyOf(read)
  local amount = read and tonumber(string.match(read, '^[^\\31]*'))
  if not amount then return '!' end
  return string.format('%014x', math.floor(amount * 10000 + 0.5) + 4503599627370496)
end
`

/**
 * Records a read (ARGV: packed member, the read as stored, the plain member, '1' to keep a
 * read already stored) while the connection exists, moving the member in the balance order;
 * an empty read only makes sure the member is listed (a connect). Returns the read stored
 * before (from before the pages too; '' when none), or nil when the connection is gone.
 */
export const RECORD_READ = `${PAGES}${KEY_OF}
if redis.call('EXISTS', KEYS[5]) == 0 then return false end
local packed, read, plain = ARGV[1], ARGV[2], ARGV[3]
local before = redis.call('HGET', KEYS[2], packed)
local was = before or redis.call('HGET', KEYS[4], plain) or ''
if ARGV[4] == '1' and before then read = before end
if read == '' then
  if not before then add('b!\\0' .. packed) end
  return was
end
local from, to = keyOf(before), keyOf(read)
if from ~= to then remove('b' .. from .. '\\0' .. packed) end
add('b' .. to .. '\\0' .. packed)
redis.call('HSET', KEYS[2], packed, read)
redis.call('ZREM', KEYS[3], plain)
redis.call('HDEL', KEYS[4], plain)
return was`

/** Forgets a member's read and its place in the balance order. ARGV: packed member, '', plain member. */
export const FORGET_READ = `${PAGES}${KEY_OF}
local packed, plain = ARGV[1], ARGV[3]
remove('b' .. keyOf(redis.call('HGET', KEYS[2], packed)) .. '\\0' .. packed)
redis.call('HDEL', KEYS[2], packed)
redis.call('ZREM', KEYS[3], plain)
redis.call('HDEL', KEYS[4], plain)
return 1`
