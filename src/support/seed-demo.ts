import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { hashPassword } from '../auth/passwords.js'
import { tenantUsersKey } from '../auth/user-store.js'
import {
  connectionKey,
  tenantConnectionsKey,
  tenantKey,
  type ConnectionRef,
} from '../connections/connection-store.js'
import type { TokenCipher } from '../crypto/token-cipher.js'
import type { ProviderId } from '../providers/types.js'

const COMPANIES = [
  'Acme',
  'Globex',
  'Initech',
  'Umbrella',
  'Hooli',
  'Stark',
  'Wayne',
  'Wonka',
  'Tyrell',
  'Cyberdyne',
  'Soylent',
  'Aperture',
]
const SUFFIXES = ['GmbH', 'Ltd', 'Inc', 'AG', 'BV', 'SARL']

/**
 * Fills a tenant with `count` demo users, each with one connection and a recently read
 * balance, written in pipelined batches. The tokens are placeholders the sandbox does not
 * know: a row's **Refresh** then shows the provider's error beside the last balance.
 */
export async function seedDemo(
  redis: RedisClient,
  cipher: TokenCipher,
  tenantId: string,
  count: number,
  onProgress?: (done: number) => void,
): Promise<number> {
  const passwordHash = await hashPassword(randomBytes(16).toString('hex'))
  const now = Date.now()
  const batch = 500
  for (let start = 0; start < count; start += batch) {
    // The pipeline holds only the tenant's keys (one hash tag, one Cluster slot); the
    // global email:* keys hash anywhere, so they go as single SETs (ioredis still sends
    // them back to back without waiting for each answer).
    const p = redis.pipeline()
    const emails: Array<[string, string]> = []
    for (let i = start; i < Math.min(count, start + batch); i++)
      emails.push(seedOne(p, cipher, tenantId, i, passwordHash, now))
    await p.exec()
    await Promise.all(emails.map(([key, owner]) => redis.set(key, owner)))
    onProgress?.(Math.min(count, start + batch))
  }
  return count
}

function seedOne(
  p: ReturnType<RedisClient['pipeline']>,
  cipher: TokenCipher,
  tenantId: string,
  i: number,
  passwordHash: string,
  now: number,
): [emailKey: string, owner: string] {
  const userId = randomBytes(12).toString('hex')
  const email = `demo-${String(i + 1).padStart(5, '0')}@${tenantId}.demo`
  const provider: ProviderId = i % 3 === 2 ? 'nexmo' : 'sms77'
  const ref: ConnectionRef = { tenantId, userId, provider }
  const company = `${COMPANIES[i % COMPANIES.length]} ${SUFFIXES[(i >> 2) % SUFFIXES.length]} ${Math.floor(i / 48) + 1}`
  const member = `${userId}:${provider}`
  const amount = Math.round(((i * 7919) % 100_000) / 100) / 10 + (i % 11 === 0 ? 0 : 1)
  const createdAt = now - i * 1000
  p.hset(tenantKey(tenantId, `user:${userId}`), {
    id: userId,
    tenantId,
    email,
    role: 'member',
    passwordHash,
    createdAt: String(createdAt),
  })
  p.zadd(tenantUsersKey(tenantId), createdAt, userId)
  const secrets = cipher.encrypt(
    JSON.stringify({
      accessToken: `demo-${randomBytes(8).toString('hex')}`,
      refreshToken: `demo-${randomBytes(8).toString('hex')}`,
    }),
    connectionKey(ref),
  )
  p.hset(connectionKey(ref), {
    secrets,
    expiresAt: String(now + 3_600_000),
    obtainedAt: String(now),
    scopes: provider === 'sms77' ? 'balance' : '',
    accountId: String(100000 + i),
    accountLabel: email,
    status: i % 97 === 0 ? 'needs_reconnect' : 'connected',
    statusReason: '',
    createdAt: String(createdAt),
    updatedAt: String(createdAt),
    keyId: cipher.currentKeyId,
  })
  p.zadd(tenantConnectionsKey(tenantId), createdAt, member)
  const text = `${email} ${email} ${company}`.toLowerCase()
  p.zadd(tenantKey(tenantId, 'support:search'), 0, `${text}\0${member}`)
  p.hset(tenantKey(tenantId, 'support:search-text'), member, text)
  p.zadd(tenantKey(tenantId, 'support:balance'), amount, member)
  p.hset(
    tenantKey(tenantId, 'support:entries'),
    member,
    JSON.stringify({ balance: { amount, currency: 'EUR' }, company, readAt: now }),
  )
  return [`email:${email}`, `${tenantId}:${userId}`]
}
