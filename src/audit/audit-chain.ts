import { createHash } from 'node:crypto'

/**
 * The audit chain: every entry stores `prev`, the SHA-256 of the organisation's previous
 * entry as canonical JSON (its stored fields, `prev` included, keys sorted; the stream id
 * is not part of it). The head (hash and id of the newest entry) is kept beside the
 * stream, so a removed newest entry is found too.
 */
export function canonical(fields: Record<string, string>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  )
}

export function entryHash(fields: Record<string, string>): string {
  return createHash('sha256').update(canonical(fields)).digest('hex')
}

/**
 * Appends entries, each chained to the one before, only if the head is still `ARGV[1]` (the
 * hash the first one's `prev` names), then moves the head to the last: parallel writers
 * cannot fork the chain, a loser reads the head again. KEYS: stream, head. ARGV: expected head, MAXLEN, then per
 * entry its hash, its number of field/value arguments and those.
 */
export const APPEND_MANY = `local head = redis.call('HGET', KEYS[2], 'hash') or ''
if head ~= ARGV[1] then return false end
local i, id, hash = 3, nil, nil
while i <= #ARGV do
  hash = ARGV[i]
  local last = i + 1 + tonumber(ARGV[i + 1])
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, i + 2, last))
  i = last + 1
end
redis.call('HSET', KEYS[2], 'hash', hash, 'id', id)
return id`

export type ChainCheck = { ok: true; entries: number } | { ok: false; id: string; at: number; action: string }

/**
 * Checks a stream's entries (oldest first) against the chain and its head. Entries from
 * before the chain (no `prev`) are skipped until the first chained one; the first chained
 * entry's `prev` is taken as given (its predecessor may have been trimmed, MAXLEN).
 */
export function checkChain(
  entries: [string, Record<string, string>][],
  head: { hash?: string; id?: string },
): ChainCheck {
  let last: [string, Record<string, string>] | undefined
  let n = 0
  const bad = ([id, f]: [string, Record<string, string>]): ChainCheck => ({
    ok: false,
    id,
    at: Number(f.at),
    action: f.action ?? '',
  })
  for (const entry of entries) {
    const [, f] = entry
    if (f.prev === undefined) {
      if (last) return bad(entry)
      continue
    }
    // The previous entry no longer hashes to what this one recorded: it was changed.
    if (last && f.prev !== entryHash(last[1])) return bad(last)
    last = entry
    n++
  }
  if (last && (head.hash !== entryHash(last[1]) || head.id !== last[0])) return bad(last)
  if (!last && head.hash) return { ok: false, id: head.id ?? '?', at: 0, action: '(missing)' }
  return { ok: true, entries: n }
}
