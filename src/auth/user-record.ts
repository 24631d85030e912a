/**
 * A user as its Redis hash holds it: which fields, and how a record is read and written
 * (user-store.ts does the reading and writing).
 */
export const ROLES = ['member', 'support', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface User {
  id: string
  tenantId: string
  email: string
  role: Role
  createdAt: number
  /** The person's choice on /account ('en' | 'de'); none means Accept-Language decides. */
  language?: string
  /** An IANA time zone chosen on /account; none means UTC. */
  timeZone?: string
  /**
   * Sessions signed in before this moment (ms) are over: stamped when a password is reset or
   * changed (see SessionIndex), compared on every request. None means every session counts.
   */
  sessionsValidAfter?: number
}

export interface StoredUser extends User {
  passwordHash: string
}

/**
 * An argon2 hash (about 97 characters) is longer than hash-max-listpack-value (64), which
 * would keep every user hash as a hashtable (about 700 bytes instead of 250), so it is
 * stored in two fields. A hash from before, whole in `passwordHash`, still reads.
 */
export function passwordFields(hash: string): { passwordHash: string; passwordHash2: string } {
  return { passwordHash: hash.slice(0, 64), passwordHash2: hash.slice(64) }
}

export function joinedHash(first: string | null | undefined, rest: string | null | undefined): string {
  return (first ?? '') + (rest ?? '')
}

/** The user hash's fields that make a User, in the order `userFromFields` reads them. */
export const USER_FIELDS = [
  'id',
  'tenantId',
  'email',
  'role',
  'createdAt',
  'language',
  'timeZone',
  'sessionsValidAfter',
] as const

/**
 * A User from HMGET of USER_FIELDS on the user's key in `keyTenant`, or null when the user is
 * gone. Users stored since issue 13 hold no tenantId field (the key names the tenant); one
 * stored with a field keeps it, so a hash naming another tenant still reads as that tenant's.
 */
export function userFromFields(v: (string | null)[], keyTenant: string): User | null {
  const [id, tenantId, email, role, createdAt, language, timeZone, sessionsValidAfter] = v
  if (!id) return null
  const prefs = {
    ...(language ? { language } : {}),
    ...(timeZone ? { timeZone } : {}),
    ...(sessionsValidAfter ? { sessionsValidAfter } : {}),
  }
  const h = { id, tenantId: tenantId ?? '', email: email!, role: role!, createdAt: createdAt!, ...prefs }
  return toUser(fromHash(h, keyTenant))
}

export function fromHash(h: Record<string, string>, tenantId: string): StoredUser {
  return {
    id: h.id!,
    tenantId: h.tenantId || tenantId,
    email: h.email!,
    role: (ROLES as readonly string[]).includes(h.role!) ? (h.role as Role) : 'member',
    passwordHash: joinedHash(h.passwordHash, h.passwordHash2),
    createdAt: Number(h.createdAt),
    ...(h.language ? { language: h.language } : {}),
    ...(h.timeZone ? { timeZone: h.timeZone } : {}),
    ...(h.sessionsValidAfter ? { sessionsValidAfter: Number(h.sessionsValidAfter) } : {}),
  }
}

// The tenant is in the key already (users written before also hold it as a field).
export function stored({ tenantId: _inKey, ...u }: StoredUser): Record<string, string> {
  const { sessionsValidAfter, ...rest } = u
  return {
    ...rest,
    createdAt: String(u.createdAt),
    ...passwordFields(u.passwordHash),
    ...(sessionsValidAfter ? { sessionsValidAfter: String(sessionsValidAfter) } : {}),
  }
}

export function toUser({ passwordHash: _, ...user }: StoredUser): User {
  return user
}
