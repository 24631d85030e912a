import type { RedisClient } from '../redis/client.js'
import { globalTrailOf } from '../connections/global-trail.js'
import {
  emailKey,
  inviteTokenKey,
  loginGenerationKey,
  rateLimitKeyPrefix,
  resetTokenKey,
  ssoDomainKey,
  ssoSettingsKey,
  tenantInvitesKey,
  userResetKey,
} from '../redis/keys.js'
import { apiKeyHashKey, apiKeysKey } from '../redis/tenant-api.js'

/**
 * The keys outside the organisation's slot that name it or its people: emails, API key
 * hashes, invitation, reset and reconnect links, connect flows, single sign-on domains,
 * per-email sign-in counters.
 * Read before anything is deleted (they are found through the organisation's own keys).
 */
export async function globalKeysOf(
  redis: RedisClient,
  tenantId: string,
  people: { id: string; email: string }[],
): Promise<string[]> {
  const keys: string[] = await globalTrailOf(redis, tenantId)
  for (const { id, email } of people) {
    keys.push(emailKey(email), loginGenerationKey(email))
    keys.push(`${rateLimitKeyPrefix('login-acct')}:${email}`, `${rateLimitKeyPrefix('forgot-acct')}:${email}`)
    const reset = await redis.get(userResetKey(tenantId, id))
    if (reset) keys.push(resetTokenKey(reset))
  }
  for (const raw of Object.values(await redis.hgetall(apiKeysKey(tenantId))))
    keys.push(apiKeyHashKey((JSON.parse(raw) as { hash: string }).hash))
  for (const raw of Object.values(await redis.hgetall(tenantInvitesKey(tenantId)))) {
    const digest = (JSON.parse(raw) as { digest?: string }).digest
    if (digest) keys.push(inviteTokenKey(digest))
  }
  const domains = await redis.hget(ssoSettingsKey(tenantId), 'domains')
  for (const d of (domains ?? '').split(',').filter(Boolean)) keys.push(ssoDomainKey(d))
  return keys
}
