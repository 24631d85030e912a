import type { ProviderId } from '../providers/types.js'
import type { ConnectionRef } from './record.js'

/**
 * A connection's member: `userId:provider`, its name in the tenant's connection set, the
 * keep-alive's checked set, the support indexes (packed there, support/packed-member.ts)
 * and audit entries. Stored data: the one place it is built and read, so every room
 * (the API included, through this file) agrees on it.
 */
export function memberOf(ref: Pick<ConnectionRef, 'userId' | 'provider'>): string {
  return `${ref.userId}:${ref.provider}`
}

export function refOf(tenantId: string, member: string): ConnectionRef {
  const [userId, provider] = member.split(':') as [string, ProviderId]
  return { tenantId, userId, provider }
}

/** Whether a member is a connection to `provider`, without splitting it. */
export function isMemberOf(member: string, provider: ProviderId): boolean {
  return member.endsWith(`:${provider}`)
}
