/** Lua for the data keys' hash (tenant-ciphers.ts); each touches one key, so one Cluster slot. */

/** Makes ARGV[1] (wrapped ARGV[2]) the current key unless the organisation has one already. */
export const CREATE_KEY = `if redis.call('HEXISTS', KEYS[1], 'current') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'k:' .. ARGV[1], ARGV[2], 'current', ARGV[1])
return 1`

/** Replaces current key ARGV[1] by ARGV[2] (wrapped ARGV[3]), marking the old retired at ARGV[4]. */
export const ROTATE_KEY = `if redis.call('HGET', KEYS[1], 'current') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'k:' .. ARGV[2], ARGV[3], 'current', ARGV[2], 'r:' .. ARGV[1], ARGV[4])
return 1`

/** One more encryption under key ARGV[1]; -1 once the key is gone (never recreates the hash). */
export const COUNT_USE = `if redis.call('HEXISTS', KEYS[1], 'k:' .. ARGV[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], 'n:' .. ARGV[1], 1)`

/** Sets field ARGV[1] to ARGV[3] only if it still holds ARGV[2]. */
export const SWAP_FIELD = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`
