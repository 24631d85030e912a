/**
 * A connection's status moves, each one Lua script so that "is this still the connection I
 * read?" and the move happen at once on every instance. KEYS[1] is the record, KEYS[2] the
 * tenant's health hash (member → `status:reason` for every connection not `connected`),
 * KEYS[3] the tenant's keep-alive index; all carry the tenant hash tag (one Cluster slot).
 * Times are epoch ms from the caller's clock, written with %.0f (Lua numbers are doubles).
 */

/**
 * A passing failure (the provider down or 5xx): the connection becomes degraded and is not
 * tried again for 30 s, then 60 s, 120 s … up to the cap. Counted once per round: a failure
 * seen by a caller admitted at another step (parallel panels of one page) adds nothing.
 * ARGV: generation, member, step the caller was admitted at, now, base ms, cap ms.
 * Returns {1, status before, until} when counted, {0, status} when not.
 */
export const DEGRADE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, ''} end
if (redis.call('HGET', KEYS[1], 'generation') or '') ~= ARGV[1] then return {0, ''} end
local status = redis.call('HGET', KEYS[1], 'status') or 'connected'
if status == 'needs_reconnect' then return {0, status} end
local step = tonumber(redis.call('HGET', KEYS[1], 'backoffStep') or '0') or 0
if step ~= tonumber(ARGV[3]) then return {0, status} end
step = step + 1
local delay = math.min(tonumber(ARGV[5]) * 2 ^ (step - 1), tonumber(ARGV[6]))
local untilMs = string.format('%.0f', tonumber(ARGV[4]) + delay)
redis.call('HSET', KEYS[1], 'status', 'degraded', 'statusReason', 'provider_unavailable',
  'backoffStep', step, 'backoffUntil', untilMs, 'updatedAt', ARGV[4])
redis.call('HSET', KEYS[2], ARGV[2], 'degraded:provider_unavailable')
return {1, status, untilMs}`

/**
 * Claims the one provider attempt of a back-off step once its wait is over: the claimer
 * pushes the wait on by the step's delay, so every other caller on every instance still
 * answers from what is known until the attempt's outcome is recorded.
 * ARGV: generation, now, base ms, cap ms. Returns 2 when not backing off (go), 1 when
 * claimed, 0 when still waiting (or claimed by someone else), -1 when fenced.
 */
export const CLAIM_ATTEMPT = `
if (redis.call('HGET', KEYS[1], 'generation') or '') ~= ARGV[1] then return -1 end
if redis.call('HGET', KEYS[1], 'status') ~= 'degraded' then return 2 end
local step = tonumber(redis.call('HGET', KEYS[1], 'backoffStep') or '0') or 0
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'backoffUntil') or '0') or 0
if tonumber(ARGV[2]) < untilMs then return 0 end
local delay = math.min(tonumber(ARGV[3]) * 2 ^ (math.max(step, 1) - 1), tonumber(ARGV[4]))
redis.call('HSET', KEYS[1], 'backoffUntil', string.format('%.0f', tonumber(ARGV[2]) + delay))
return 1`

/**
 * The provider answered again: a degraded connection is `connected` once more and its
 * back-off is cleared. Only the caller that makes the move gets 1, so one recovery is
 * announced once however many instances and pages see it. ARGV: generation, member, now.
 */
export const RECOVER = `
if (redis.call('HGET', KEYS[1], 'generation') or '') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= 'degraded' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'connected', 'updatedAt', ARGV[3])
redis.call('HDEL', KEYS[1], 'statusReason', 'backoffStep', 'backoffUntil')
redis.call('HDEL', KEYS[2], ARGV[2])
return 1`

/**
 * The grant is dead: needs reconnect for `reason`, out of the keep-alive index (nothing to
 * keep alive until a reconnect adds it back). ARGV: generation, member, reason, now.
 * Returns {1, status before} when marked, {0} when fenced off.
 */
export const MARK_DEAD = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if (redis.call('HGET', KEYS[1], 'generation') or '') ~= ARGV[1] then return {0} end
local before = redis.call('HGET', KEYS[1], 'status') or 'connected'
redis.call('HSET', KEYS[1], 'status', 'needs_reconnect', 'statusReason', ARGV[3], 'updatedAt', ARGV[4])
redis.call('HDEL', KEYS[1], 'backoffStep', 'backoffUntil')
redis.call('HSET', KEYS[2], ARGV[2], 'needs_reconnect:' .. ARGV[3])
redis.call('ZREM', KEYS[3], ARGV[2])
return {1, before}`
