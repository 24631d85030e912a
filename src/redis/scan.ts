import { Cluster } from 'ioredis'
import type { RedisClient } from './client.js'

// SCAN MATCH is a glob: a prefix such as `sb[1]:` must match itself only.
const globEscape = (s: string) => s.replace(/[*?[\]\\]/g, '\\$&')

/**
 * Every key matching `pattern`, a glob given and returned without the client's
 * keyPrefix (SCAN is not prefixed by ioredis). On a Cluster each master is scanned in
 * turn, as SCAN sees one node's keys only. For offline operator commands: SCAN walks
 * the whole keyspace.
 */
export async function* scanKeys(redis: RedisClient, pattern: string): AsyncGenerator<string> {
  const prefix = String(redis.options.keyPrefix ?? '')
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis]
  for (const node of nodes) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', globEscape(prefix) + pattern, 'COUNT', 500)
      for (const key of keys) if (key.startsWith(prefix)) yield key.slice(prefix.length)
      cursor = next
    } while (cursor !== '0')
  }
}
