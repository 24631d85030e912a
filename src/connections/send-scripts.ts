/**
 * The daily limits of shared connections, each one Lua script so that reading the access,
 * the limits and the day's count and reserving the parts are one atomic step on every
 * instance. KEYS are all in the tenant's hash slot (Redis Cluster).
 */

/**
 * Reserves `parts` for one send. KEYS: the tenant's shared-access hash, the connection's
 * day counter, the connection record. ARGV: provider, sender's user id ('' for an API key,
 * which only the organisation's limit binds), '1' when the sender is an admin, parts, TTL
 * of the day counter in seconds. Returns `{ 'ok', <record fields…> }` (so the send needs no
 * second read of the record), or `{ refusal }`: not_found, no_access, may_not_send,
 * person_limit, org_limit.
 */
export const RESERVE = `
local conn = redis.call('HGETALL', KEYS[3])
if #conn == 0 then return { 'not_found' } end
local orgLimit = tonumber(redis.call('HGET', KEYS[1], ARGV[1] .. ':~limit') or '-1')
local personLimit = -1
if ARGV[2] ~= '' then
  local access = redis.call('HGET', KEYS[1], ARGV[1] .. ':' .. ARGV[2])
  if access then
    local maySend, limit = string.match(access, '^(%d)|(%-?%d+)|')
    if ARGV[3] ~= '1' and maySend ~= '1' then return { 'may_not_send' } end
    personLimit = tonumber(limit) or -1
  elseif ARGV[3] ~= '1' then return { 'no_access' } end
end
local parts = tonumber(ARGV[4])
local total = tonumber(redis.call('HGET', KEYS[2], 'total') or '0')
if orgLimit >= 0 and total + parts > orgLimit then return { 'org_limit' } end
if ARGV[2] ~= '' then
  local mine = tonumber(redis.call('HGET', KEYS[2], 'p:' .. ARGV[2]) or '0')
  if personLimit >= 0 and mine + parts > personLimit then return { 'person_limit' } end
  redis.call('HINCRBY', KEYS[2], 'p:' .. ARGV[2], parts)
end
redis.call('HINCRBY', KEYS[2], 'total', parts)
redis.call('EXPIRE', KEYS[2], ARGV[5])
local out = { 'ok' }
for i = 1, #conn do out[#out + 1] = conn[i] end
return out`

/** Gives parts back (a failed send, or fewer parts than reserved). KEYS: day counter. ARGV: user id or '', parts. */
export const RELEASE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HINCRBY', KEYS[1], 'total', -tonumber(ARGV[2]))
if ARGV[1] ~= '' then redis.call('HINCRBY', KEYS[1], 'p:' .. ARGV[1], -tonumber(ARGV[2])) end
return 1`
