import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../redis/client.js'
import { hmgetEach } from '../redis/read-many.js'
import { emailKey, tenantUsersKey, userKey } from '../redis/keys.js'
import { listingVersionKey } from '../redis/tenant-api.js'
import { AppError } from '../errors/app-error.js'
import {
  fromHash,
  joinedHash,
  passwordFields,
  stored,
  toUser,
  userFromFields,
  USER_FIELDS,
  type Role,
  type StoredUser,
  type User,
} from './user-record.js'

export { ROLES, USER_FIELDS, userFromFields, type Role, type User } from './user-record.js'

export interface UserQuery {
  /** Part of the email, lower case. */
  search?: string
  role?: Role
  offset: number
  limit: number
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

export class UserStore {
  constructor(private readonly redis: RedisClient) {}

  /** Creates a user; `conflict` when the email is taken anywhere. */
  async create(input: { tenantId: string; email: string; passwordHash: string; role: Role }): Promise<User> {
    const email = normaliseEmail(input.email)
    const id = randomBytes(12).toString('hex')
    const claimed = await this.redis.set(emailKey(email), `${input.tenantId}:${id}`, 'NX')
    if (claimed !== 'OK')
      throw new AppError('conflict', 'An account with this email already exists.', { status: 409 })
    const user: StoredUser = {
      id,
      tenantId: input.tenantId,
      email,
      role: input.role,
      passwordHash: input.passwordHash,
      createdAt: Date.now(),
    }
    await this.redis
      .multi()
      .hset(userKey(user.tenantId, id), stored(user))
      .zadd(tenantUsersKey(user.tenantId), user.createdAt, id)
      .exec()
    return toUser(user)
  }

  /**
   * Creates many users of one tenant in one pipeline, for seeding demo data. Their emails
   * must be new: unlike `create`, an email already taken is given to the new user.
   */
  async createMany(
    tenantId: string,
    inputs: Array<{ email: string; passwordHash: string; role: Role; createdAt?: number }>,
  ): Promise<User[]> {
    const users: StoredUser[] = inputs.map((input) => ({
      id: randomBytes(12).toString('hex'),
      tenantId,
      email: normaliseEmail(input.email),
      role: input.role,
      passwordHash: input.passwordHash,
      createdAt: input.createdAt ?? Date.now(),
    }))
    // The pipeline holds only the tenant's keys (one hash tag, one Cluster slot); the global
    // email keys hash anywhere, so they go as single SETs (still sent back to back).
    const p = this.redis.pipeline()
    for (const user of users) {
      p.hset(userKey(tenantId, user.id), stored(user))
      p.zadd(tenantUsersKey(tenantId), user.createdAt, user.id)
    }
    await Promise.all([
      p.exec(),
      ...users.map((u) => this.redis.set(emailKey(u.email), `${tenantId}:${u.id}`)),
    ])
    return users.map(toUser)
  }

  /** Read on every request: only the fields a User has (never the password hash). */
  async get(tenantId: string, userId: string): Promise<User | null> {
    const v = await this.redis.hmget(userKey(tenantId, userId), ...USER_FIELDS)
    return userFromFields(v, tenantId)
  }

  /** The user and password hash for a login attempt, or nulls for an unknown email. */
  async findForLogin(email: string): Promise<{ user: User; passwordHash: string } | null> {
    const owner = await this.redis.get(emailKey(normaliseEmail(email)))
    if (!owner) return null
    const [tenantId, userId] = owner.split(':') as [string, string]
    const h = await this.redis.hgetall(userKey(tenantId, userId))
    if (!h.id) return null
    const stored = fromHash(h, tenantId)
    return { user: toUser(stored), passwordHash: stored.passwordHash }
  }

  /** The emails of many users of one tenant in one command; null for a removed user. */
  async emails(tenantId: string, userIds: string[]): Promise<(string | null)[]> {
    if (userIds.length === 0) return []
    const keys = userIds.map((id) => userKey(tenantId, id))
    return (await hmgetEach(this.redis, keys, ['email'])).map(([email]) => email ?? null)
  }

  async list(tenantId: string, offset = 0, count = 200): Promise<User[]> {
    const ids = await this.redis.zrange(tenantUsersKey(tenantId), offset, String(offset + count - 1))
    const users = await Promise.all(ids.map((id) => this.get(tenantId, id)))
    return users.filter((u): u is User => u !== null)
  }

  /** One page of the tenant's users, oldest first, with the total that matched (no cap). */
  async page(tenantId: string, q: UserQuery): Promise<{ users: User[]; total: number }> {
    if (!q.search && !q.role) {
      const [total, users] = await Promise.all([
        this.redis.zcard(tenantUsersKey(tenantId)),
        this.list(tenantId, q.offset, q.limit),
      ])
      return { users, total }
    }
    // Filtering reads each user's email and role once, in pipelined chunks.
    const ids = await this.redis.zrange(tenantUsersKey(tenantId), 0, '-1')
    const needle = q.search?.toLowerCase() ?? ''
    const matched: string[] = []
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500)
      const p = this.redis.pipeline()
      for (const id of chunk) p.hmget(userKey(tenantId, id), 'email', 'role')
      const rows = (await p.exec()) ?? []
      rows.forEach(([, v], j) => {
        const [email, role] = (v as [string | null, string | null]) ?? [null, null]
        if (email?.includes(needle) && (!q.role || role === q.role)) matched.push(chunk[j]!)
      })
    }
    const page = matched.slice(q.offset, q.offset + q.limit)
    const users = await Promise.all(page.map((id) => this.get(tenantId, id)))
    return { users: users.filter((u): u is User => u !== null), total: matched.length }
  }

  async count(tenantId: string): Promise<number> {
    return this.redis.zcard(tenantUsersKey(tenantId))
  }

  async setPasswordHash(tenantId: string, userId: string, passwordHash: string): Promise<void> {
    await this.redis.hset(userKey(tenantId, userId), passwordFields(passwordHash))
  }

  /** The stored password hash of a signed-in user (for a change that asks for the current one). */
  async passwordHash(tenantId: string, userId: string): Promise<string | undefined> {
    const [first, rest] = await this.redis.hmget(userKey(tenantId, userId), 'passwordHash', 'passwordHash2')
    return first === null ? undefined : joinedHash(first, rest)
  }

  /** The /account choices; an empty string removes one (back to Accept-Language, UTC). */
  async setPreferences(tenantId: string, userId: string, prefs: { language: string; timeZone: string }) {
    const key = userKey(tenantId, userId)
    const p = this.redis.multi()
    for (const [field, value] of Object.entries(prefs))
      void (value ? p.hset(key, field, value) : p.hdel(key, field))
    await p.exec()
  }

  async setRole(tenantId: string, userId: string, role: Role): Promise<void> {
    await this.redis.hset(userKey(tenantId, userId), 'role', role)
  }

  /** Moves the user to `email` if no account has it (the address is claimed first); false if taken. */
  async changeEmail(user: User, email: string): Promise<boolean> {
    const next = normaliseEmail(email)
    const claimed = await this.redis.set(emailKey(next), `${user.tenantId}:${user.id}`, 'NX')
    if (claimed !== 'OK') return false
    await this.redis
      .multi()
      .hset(userKey(user.tenantId, user.id), 'email', next)
      // The API listing shows each connection's owner by email (api/kept-listing.ts).
      .incr(listingVersionKey(user.tenantId))
      .exec()
    await this.redis.del(emailKey(user.email))
    return true
  }

  async remove(user: User): Promise<void> {
    await this.redis
      .multi()
      .del(userKey(user.tenantId, user.id))
      .zrem(tenantUsersKey(user.tenantId), user.id)
      .incr(listingVersionKey(user.tenantId))
      .exec()
    await this.redis.del(emailKey(user.email))
  }
}
