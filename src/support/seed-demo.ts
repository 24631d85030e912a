import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { hashPassword } from '../auth/passwords.js'
import { UserStore, type User } from '../auth/user-store.js'
import { ConnectionStore, type ConnectionRecord } from '../connections/connection-store.js'
import { refOf } from '../connections/member.js'
import type { TenantCiphers } from '../crypto/tenant-ciphers.js'
import type { ProviderId } from '../providers/types.js'
import { SupportIndex, type BalanceEntry } from './support-index.js'
import { accountWords } from './account-words.js'
import { PROVIDER_CURRENCY } from '../providers/money.js'
import { seedHistories } from '../balances/history-seed.js'

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
 * Fills a tenant with `count` demo users, each with one connection, a recently read balance
 * and a week of balance history, written through the stores in pipelined batches. The tokens are placeholders the
 * sandbox does not know: a row's **Refresh** then shows the provider's error beside the
 * last balance.
 */
export async function seedDemo(
  redis: RedisClient,
  ciphers: TenantCiphers,
  tenantId: string,
  count: number,
  onProgress?: (done: number) => void,
): Promise<number> {
  const users = new UserStore(redis)
  const connections = new ConnectionStore(redis, ciphers)
  const index = new SupportIndex(redis, { connections, users })
  const passwordHash = await hashPassword(randomBytes(16).toString('hex'))
  const now = Date.now()
  const batch = 500
  for (let start = 0; start < count; start += batch) {
    const numbers = Array.from({ length: Math.min(count, start + batch) - start }, (_, k) => start + k)
    const created = await users.createMany(
      tenantId,
      numbers.map((i) => ({
        email: demoEmail(tenantId, i),
        passwordHash,
        role: 'member',
        createdAt: now - i * 1000,
      })),
    )
    const demos = created.map((user, k) => demoAccount(user, numbers[k]!, now))
    // The records first: the index's scripts index only existing connections.
    await connections.importMany(demos.map((d) => d.record))
    await index.indexMany(demos.map((d) => d.indexed))
    // A week of daily reads ending in today's: the console's sparkline and run-out need two.
    await seedHistories(
      redis,
      demos.map((d, k) => ({
        ref: d.record.ref,
        currency: PROVIDER_CURRENCY,
        points: demoHistory(d.indexed.entry, numbers[k]!, now),
      })),
    )
    onProgress?.(Math.min(count, start + batch))
  }
  return count
}

/**
 * Marks every balance of the tenant as read now, keeping what was read: for benchmarks,
 * whose premise is a console where every balance was read within the last minute, when
 * seeding 100,000 accounts takes longer than that.
 */
export async function freshenDemoReads(
  redis: RedisClient,
  ciphers: TenantCiphers,
  tenantId: string,
): Promise<void> {
  const connections = new ConnectionStore(redis, ciphers)
  const index = new SupportIndex(redis, { connections, users: new UserStore(redis) })
  for (let offset = 0; ; offset += 1000) {
    const { members } = await connections.listMembers(tenantId, { offset, count: 1000 })
    if (members.length === 0) return
    const entries = await index.entries(tenantId, members)
    const readAt = Date.now()
    await Promise.all(
      members.map((m, i) => index.recordBalance(refOf(tenantId, m), { ...entries[i], readAt })),
    )
  }
}

const DAY_MS = 86_400_000

/** Seven days of one read a day ending in the current balance: most fall (a run-out), some rise. */
export function demoHistory(
  entry: BalanceEntry,
  i: number,
  now: number,
): Array<{ at: number; amount: number }> {
  const today = entry.balance?.amount ?? 0
  const perDay = ((i % 9) - 2) * 0.35
  return Array.from({ length: 7 }, (_, k) => {
    const daysAgo = 6 - k
    const amount = Math.max(0, Math.round((today + perDay * daysAgo) * 100) / 100)
    return { at: now - daysAgo * DAY_MS, amount: daysAgo === 0 ? today : amount }
  })
}

function demoEmail(tenantId: string, i: number): string {
  return `demo-${String(i + 1).padStart(5, '0')}@${tenantId}.demo`
}

function demoAccount(
  user: User,
  i: number,
  now: number,
): {
  record: ConnectionRecord
  indexed: { ref: ConnectionRecord['ref']; words: string[]; entry: BalanceEntry }
} {
  const provider: ProviderId = i % 3 === 2 ? 'nexmo' : 'sms77'
  const ref = { tenantId: user.tenantId, userId: user.id, provider }
  const company = `${COMPANIES[i % COMPANIES.length]} ${SUFFIXES[(i >> 2) % SUFFIXES.length]} ${Math.floor(i / 48) + 1}`
  const amount = Math.round(((i * 7919) % 100_000) / 100) / 10 + (i % 11 === 0 ? 0 : 1)
  const record: ConnectionRecord = {
    ref,
    status: i % 97 === 0 ? 'needs_reconnect' : 'connected',
    createdAt: user.createdAt,
    updatedAt: user.createdAt,
    // importMany gives each a fresh generation; demo grants count as checked when seeded.
    generation: '',
    checkedAt: now,
    grant: {
      secrets: {
        accessToken: `demo-${randomBytes(8).toString('hex')}`,
        refreshToken: `demo-${randomBytes(8).toString('hex')}`,
      },
      expiresAt: now + 3_600_000,
      obtainedAt: now,
      scopes: provider === 'sms77' ? ['balance'] : [],
      accountId: String(100000 + i),
      accountLabel: user.email,
    },
  }
  const entry: BalanceEntry = { balance: { amount, currency: PROVIDER_CURRENCY }, company, readAt: now }
  const words = [...accountWords({ email: user.email, accountLabel: user.email }), company]
  return { record, indexed: { ref, words, entry } }
}
