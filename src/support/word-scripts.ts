/**
 * The support search index as Lua: a sorted index cut into pages of at most PAGE_MAX entries,
 * each page a small sorted set that Redis keeps in its compact listpack encoding (a plain
 * sorted set of 100,000 accounts' words would cost about 150 bytes an entry; a page entry
 * costs its own length plus a few bytes). KEYS[1], the directory, holds one member per page,
 * `<lowest entry>\0\0<page id>` (the first page's lowest entry is empty), all scored 0; page
 * `id` is `KEYS[1]:id`; `KEYS[1]:next` numbers new pages. Entries are
 * `<namespace><text>\0<member>`, so no entry holds `\0\0`. Every key carries the tenant's
 * hash tag, so a Redis Cluster keeps them in one slot. Strings are never compared in Lua
 * (its comparison follows the server's locale): Redis's lexicographic ranges do it.
 */
export const PAGE_MAX = 120
/** Matching entries up to which a search counts distinct accounts exactly (about 15 ms at most). */
export const EXACT_MAX = 20_000
/** How long a search's matches are kept for its next pages (any change of words retires them). */
export const SEARCH_KEEP_MS = 30_000

export const PAGES = `
local dir = KEYS[1]
local function pageKey(id) return dir .. ':' .. id end
local function idOf(m) return string.sub(m, string.find(m, '\\0\\0', 1, true) + 2) end
local function holding(entry)
  return redis.call('ZREVRANGEBYLEX', dir, '[' .. entry .. '\\1', '-', 'LIMIT', 0, 1)[1]
end
local function memberOf(entry) return string.sub(entry, string.find(entry, '\\0', 1, true) + 1) end
local function add(entry)
  local m = holding(entry)
  if not m then
    m = '\\0\\0' .. redis.call('INCR', dir .. ':next')
    redis.call('ZADD', dir, 0, m)
  end
  local key = pageKey(idOf(m))
  redis.call('ZADD', key, 0, entry)
  local n = redis.call('ZCARD', key)
  if n > ${PAGE_MAX} then
    -- Split: the upper half moves to a new page that starts at its lowest entry.
    local half = math.floor(n / 2)
    local upper = redis.call('ZRANGE', key, half, -1)
    redis.call('ZREMRANGEBYRANK', key, half, -1)
    local id = redis.call('INCR', dir .. ':next')
    local args = {}
    for _, e in ipairs(upper) do args[#args + 1] = 0; args[#args + 1] = e end
    redis.call('ZADD', pageKey(id), unpack(args))
    redis.call('ZADD', dir, 0, upper[1] .. '\\0\\0' .. id)
  end
end
local function remove(entry)
  local m = holding(entry)
  if not m then return end
  local key = pageKey(idOf(m))
  redis.call('ZREM', key, entry)
  if string.sub(m, 1, 2) ~= '\\0\\0' and redis.call('EXISTS', key) == 0 then redis.call('ZREM', dir, m) end
end
`

/**
 * Re-indexes one member: removes and adds entries, only if the stored text is still the one
 * the caller derived them from (else -1: read again), and adds nothing for a connection that
 * is gone (KEYS[3], its record): a late balance read never brings back a disconnected
 * account. KEYS[2] holds the member's text. ARGV: member, expected text, new text ('' to
 * remove), count of entries to remove, those entries, then the entries to add (ignored when
 * removing). Returns 1 when indexed, 0 when removed.
 */
export const REINDEX = `${PAGES}
local member, expected, text, nOld = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if (redis.call('HGET', KEYS[2], member) or '') ~= expected then return -1 end
if redis.call('EXISTS', KEYS[3]) == 0 then text = '' end
local keep = {}
if text ~= '' then for i = 5 + nOld, #ARGV do keep[ARGV[i]] = true end end
for i = 5, 4 + nOld do
  if not keep[ARGV[i]] then remove(ARGV[i] .. '\\0' .. member) end
end
redis.call('INCR', dir .. ':gen')
if text == '' then
  redis.call('HDEL', KEYS[2], member)
  return 0
end
for i = 5 + nOld, #ARGV do
  add(ARGV[i] .. '\\0' .. member)
end
redis.call('HSET', KEYS[2], member, text)
return 1`

/**
 * One page of distinct members with an entry starting with the query in either namespace
 * (emails first), and how many there are. ARGV: the query cut to an email entry's length and
 * to a word entry's, the whole query (checked against the stored text when longer than a
 * cut), offset, limit, the number of matching entries (EXACT_MAX) above which the count and
 * the pages are by entries instead (see below), how long to keep a search's matches (ms).
 * KEYS[2] is the prefix of the text buckets (a member's bucket appends its first two
 * characters).
 */
export const SEARCH = `${PAGES}
local cuts, whole, offset, limit = { e = ARGV[1], w = ARGV[2] }, ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local seen, total, out, all = {}, 0, {}, {}
-- Every match of this query, kept for a while under the index's generation (which any change
-- of words moves on), so the next page or the same search costs its page only.
local gen = redis.call('GET', dir .. ':gen') or '0'
local cached = dir .. ':q:' .. gen .. ':' .. redis.sha1hex(whole)
if redis.call('EXISTS', cached) == 1 then
  return { redis.call('LLEN', cached), redis.call('LRANGE', cached, offset, offset + limit - 1) }
end
local function wordStartIn(text)
  local from = 1
  while true do
    local at = string.find(text, whole, from, true)
    if not at then return false end
    if at == 1 or not string.find(string.sub(text, at - 1, at - 1), '[%w\\128-\\255]') then return true end
    from = at + 1
  end
end
local function consider(member, verify)
  if seen[member] then return end
  seen[member] = true
  if verify then
    local text = redis.call('HGET', KEYS[2] .. string.sub(member, 1, 2), member) or ''
    if not wordStartIn(text) then return end
  end
  total = total + 1
  all[total] = member
  if total > offset and #out < limit then out[#out + 1] = member end
end
-- The pages of both ranges with how many entries each holds there (cheap: ZLEXCOUNT).
local ranges, entries, verifying = {}, 0, false
for _, ns in ipairs({ 'e', 'w' }) do
  local lo = ns .. cuts[ns]
  local r = { lo = '[' .. lo, hi = '(' .. lo .. '\\255', verify = cuts[ns] ~= whole, pages = {} }
  verifying = verifying or r.verify
  local list = redis.call('ZRANGEBYLEX', dir, '(' .. lo, r.hi)
  local first = holding(lo)
  if first then table.insert(list, 1, first) end
  for _, m in ipairs(list) do
    local key = pageKey(idOf(m))
    local n = redis.call('ZLEXCOUNT', key, r.lo, r.hi)
    r.pages[#r.pages + 1] = { key = key, n = n }
    entries = entries + n
  end
  ranges[#ranges + 1] = r
end
if entries > tonumber(ARGV[6]) and not verifying then
  -- A query matching most of the tenant: counted by entries (an account matching twice
  -- counts twice) and paged by them, so it costs its page, not a pass over every match.
  local skip = offset
  for _, r in ipairs(ranges) do
    for _, pg in ipairs(r.pages) do
      if #out >= limit then break end
      if skip >= pg.n then
        skip = skip - pg.n
      else
        for _, entry in ipairs(redis.call('ZRANGEBYLEX', pg.key, r.lo, r.hi, 'LIMIT', skip, limit - #out)) do
          local member = memberOf(entry)
          if not seen[member] then seen[member] = true; out[#out + 1] = member end
        end
        skip = 0
      end
    end
  end
  return { entries, out }
end
for _, r in ipairs(ranges) do
  for _, pg in ipairs(r.pages) do
    if pg.n > 0 then
      for _, entry in ipairs(redis.call('ZRANGEBYLEX', pg.key, r.lo, r.hi)) do consider(memberOf(entry), r.verify) end
    end
  end
end
for i = 1, #all, 1000 do redis.call('RPUSH', cached, unpack(all, i, math.min(i + 999, #all))) end
if #all > 0 then redis.call('PEXPIRE', cached, ARGV[7]) end
return { total, out }`

/**
 * A page of members in the order of one namespace (e: by email; b: by balance), forwards or
 * backwards, skipping whole pages by their count. ARGV: namespace, offset, limit, '1' to go
 * backwards.
 */
export const ORDERED = `${PAGES}
local ns, skip, limit, back = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
local hi = string.char(string.byte(ns) + 1)
local pages = redis.call('ZRANGEBYLEX', dir, '(' .. ns, '(' .. hi)
local first = holding(ns)
if first then table.insert(pages, 1, first) end
local out = {}
local from, to, step = 1, #pages, 1
if back then from, to, step = #pages, 1, -1 end
for i = from, to, step do
  local key = pageKey(idOf(pages[i]))
  local n = redis.call('ZLEXCOUNT', key, '[' .. ns, '(' .. hi)
  if skip >= n then
    skip = skip - n
  else
    local got
    if back then got = redis.call('ZREVRANGEBYLEX', key, '(' .. hi, '[' .. ns, 'LIMIT', skip, limit - #out)
    else got = redis.call('ZRANGEBYLEX', key, '[' .. ns, '(' .. hi, 'LIMIT', skip, limit - #out) end
    for _, entry in ipairs(got) do out[#out + 1] = memberOf(entry) end
    skip = 0
    if #out >= limit then break end
  end
end
return out`
