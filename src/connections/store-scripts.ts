/**
 * The connection record's writes, each one Lua script so that "is this still the
 * connection I started from?" and the write happen atomically. KEYS[1] is the record,
 * KEYS[2] the tenant's connection index, KEYS[3] the tenant's per-client usage counts for
 * the provider, KEYS[4] the tenant's keep-alive index (connected members by `checkedAt`,
 * kept in step with the record here so a sweep can trust it), KEYS[5] the tenant's health
 * hash (health-scripts.ts: a new or deleted connection is in no unhealthy status); all carry
 * the tenant hash tag, so a Redis Cluster keeps them in one slot.
 */

/**
 * Connect or reconnect: replaces whatever was there under a new generation, moves the
 * usage count from the old grant's client to the new one (records from before clients
 * were recorded are not counted), keeps the owner's name when the reconnect is to the same
 * account, and returns the old record's
 * fields (so the replaced tokens can be revoked). ARGV: member, now, generation, client,
 * then field/value pairs (an empty value is not stored: every reader takes a missing field
 * as empty, and the record stays small).
 */
export const REPLACE = `
local old = redis.call('HGETALL', KEYS[1])
local oldClient = redis.call('HGET', KEYS[1], 'client')
if oldClient then redis.call('HINCRBY', KEYS[3], oldClient, -1) end
local created = redis.call('HGET', KEYS[1], 'createdAt') or ARGV[2]
local name = redis.call('HGET', KEYS[1], 'name')
local account = redis.call('HGET', KEYS[1], 'accountId')
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'createdAt', created, 'generation', ARGV[3], 'client', ARGV[4])
for i = 5, #ARGV, 2 do
  if ARGV[i + 1] ~= '' then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
if name and name ~= '' and redis.call('HGET', KEYS[1], 'accountId') == account then
  redis.call('HSET', KEYS[1], 'name', name)
end
redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[4], redis.call('HGET', KEYS[1], 'checkedAt') or ARGV[2], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return old`

/**
 * Writes fields only if the record still exists with the generation the caller read:
 * a refresh that finishes after a disconnect or reconnect must not write it back.
 * A written `checkedAt` moves the member in the keep-alive index (KEYS[2]); a record that
 * needs reconnect leaves it (nothing to keep alive until a reconnect adds it back).
 * ARGV: generation ('' for a record written before generations), member, then field/value
 * pairs (an empty value deletes the field). Returns 1 when written, 0 when fenced off.
 */
export const UPDATE_IF_GENERATION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if (redis.call('HGET', KEYS[1], 'generation') or '') ~= ARGV[1] then return 0 end
local checked
for i = 3, #ARGV, 2 do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], ARGV[i])
  else redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
  if ARGV[i] == 'checkedAt' then checked = ARGV[i + 1] end
end
if redis.call('HGET', KEYS[1], 'status') == 'needs_reconnect' then redis.call('ZREM', KEYS[2], ARGV[2])
elseif checked then redis.call('ZADD', KEYS[2], checked, ARGV[2]) end
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
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return old`

/**
 * Indexes a connection from before the keep-alive index: a connected record missing from
 * it is added by when it was last checked (or obtained). KEYS: record, keep-alive index.
 * ARGV: member. Returns 1 when added.
 */
export const INDEX_IF_MISSING = `
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
local h = redis.call('HMGET', KEYS[1], 'status', 'checkedAt', 'obtainedAt')
if not h[1] or h[1] == 'needs_reconnect' then return 0 end
redis.call('ZADD', KEYS[2], tonumber(h[2] or h[3]) or 0, ARGV[1])
return 1`

/** Turns HGETALL's flat array into an object. */
export function fieldsOf(flat: unknown): Record<string, string> {
  const list = Array.isArray(flat) ? (flat as unknown[]) : []
  const out: Record<string, string> = {}
  for (let i = 0; i + 1 < list.length; i += 2) out[String(list[i])] = String(list[i + 1])
  return out
}
