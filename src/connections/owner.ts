import type { ConnectionRef } from './record.js'

/**
 * Who owns a connection: a person, or the organisation (a shared connection). A shared
 * connection is stored like any other under the reserved owner id `org` (user ids are
 * random hex, so none can be `org`), which is why refresh, fencing, keep-alive, revoke,
 * balance history and webhooks need no second path: they follow the ref. Removing a
 * person removes only the connections under their own id.
 */
export const ORGANISATION_OWNER = 'org'

export type Owner = { type: 'user'; userId: string } | { type: 'organisation' }

export function ownerOf(ref: Pick<ConnectionRef, 'userId'>): Owner {
  return ref.userId === ORGANISATION_OWNER ? { type: 'organisation' } : { type: 'user', userId: ref.userId }
}

export function isShared(ref: Pick<ConnectionRef, 'userId'>): boolean {
  return ref.userId === ORGANISATION_OWNER
}

export function sharedRef(tenantId: string, provider: ConnectionRef['provider']): ConnectionRef {
  return { tenantId, userId: ORGANISATION_OWNER, provider }
}
