/**
 * The connection record's writes, each one Lua script so that "is this still the
 * connection I started from?" and the write happen atomically. KEYS[1] is the record,
 * KEYS[2] the tenant's connection index, KEYS[3] the tenant's per-client usage counts for
 * the provider; all carry the tenant hash tag, so a Redis Cluster keeps them in one slot.
 */

/**
 * Connect or reconnect: replaces whatever was there under a new generation, moves the
 * usage count from the old grant's client to the new one (records from before clients
 * were recorded are not counted), and returns the old record's
 * fields (so the replaced tokens can be revoked). ARGV: member, now, generation, client,
 * then field/value pairs.
 */
export const REPLACE = `
local old = redis.call('HGETALL', KEYS[1])
local oldClient = redis.call('HGET', KEYS[1], 'client')
if oldClient then redis.call('HINCRBY', KEYS[3], oldClient, -1) end
local created = redis.call('HGET', KEYS[1], 'createdAt') or ARGV[2]
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'createdAt', created, 'generation', ARGV[3], 'client', ARGV[4])
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return old`

/**
 * Writes fields only if the record still exists with the generation the caller read:
 * a refresh that finishes after a disconnect or reconnect must not write it back.
 * ARGV: generation ('' for a record written before generations), then field/value pairs. Returns 1 when written, 0 when fenced off.
 */
export const UPDATE_IF_GENERATION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if (redis.call('HGET', KEYS[1], 'generation') or '') ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`

/**
 * Disconnect: deletes the record and its index entry, gives back its client usage and
 * returns the deleted fields (empty when there was nothing). ARGV: member.
 */
export const REMOVE = `
local old = redis.call('HGETALL', KEYS[1])
if #old == 0 then return old end
local client = redis.call('HGET', KEYS[1], 'client')
if client then redis.call('HINCRBY', KEYS[3], client, -1) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return old`

/** Turns HGETALL's flat array into an object. */
export function fieldsOf(flat: unknown): Record<string, string> {
  const list = Array.isArray(flat) ? (flat as unknown[]) : []
  const out: Record<string, string> = {}
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = String(list[i + 1])
  return out
}
