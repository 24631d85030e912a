import type { RedisClient } from './client.js'
import { sandboxStateKey } from './keys.js'

/**
 * The built-in sandbox's state store (structurally its `SandboxStateStore`): one hash per
 * kind under `sandbox:{sandbox}:`, so grants it issued outlive a restart of `npm run dev`.
 */
export function sandboxStateStore(redis: RedisClient) {
  return {
    load: (name: string) => redis.hgetall(sandboxStateKey(name)),
    put: (name: string, field: string, value: string) => redis.hset(sandboxStateKey(name), field, value),
    remove: (name: string, field: string) => redis.hdel(sandboxStateKey(name), field),
    clear: (name: string) => redis.del(sandboxStateKey(name)),
  }
}
