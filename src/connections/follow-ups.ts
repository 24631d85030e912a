import type { ConnectionRef } from './connection-store.js'
import type { StatusReason } from '../providers/status.js'
import { statusMove, type ConnectionChange, type ConnectionEvents } from './events.js'

/**
 * The rooms that react to a connection's changes, handed in as functions so connections/
 * stays below them (it never imports support/, dashboard/, balances/ or notifications/).
 */
export interface ChangeFollowers {
  /** Banners and webhooks of a status move (notifications/), with the reason when it broke. */
  notify(ref: ConnectionRef, from: string, to: string, reason?: StatusReason): void
  /** The connection's own history for the support console (event-log.ts). */
  log?(change: ConnectionChange): Promise<void>
  /** The organisation's event of a connection made or disconnected (notifications/). */
  announce(change: ConnectionChange): void
  /** The support console finds the account by its names (support/). */
  index(ref: ConnectionRef, account: { accountLabel: string; name?: string }): Promise<void>
  unindex(ref: ConnectionRef): Promise<void>
  /** Balance history and its alerts end with the connection (balances/). */
  forgetBalances(ref: ConnectionRef): Promise<void>
  /** The owner's cached dashboard panels (dashboard/). */
  clearPanels(ref: ConnectionRef): Promise<void>
  /** The connection's kept read (kept-read.ts): `account` forgets the read, else only answers built from it. */
  clearKept?(ref: ConnectionRef, what: 'account' | 'answers'): Promise<void>
  /** The tenant's kept API listings (api/): after the change and its follow-ups are written. */
  listingChanged?(ref: ConnectionRef): Promise<void>
}

/** Changes after which the panel cache still holds the connection's last answers (a degraded
 * card shows them; the record's fingerprint retires its kept HTML). Not a send: the balance
 * and the journal it changed are answers the owner's page must not show from before it. */
const KEEPS_PANELS = new Set<ConnectionChange['kind']>(['refreshed', 'checked', 'degraded'])

/** Changes after which the kept read is another account's, an old balance, or not to be answered
 * any more (a dead grant answers 409 needs_reconnect, not its last read) (kept-read.ts). */
const CHANGES_READ = new Set<ConnectionChange['kind']>([
  'connected',
  'disconnected',
  'message_sent',
  'needs_reconnect',
])
/** Changes that leave the read but not the answers built beside it (status, name); a refresh or a
 * keep-alive check changes neither. */
const KEEPS_ANSWERS = new Set<ConnectionChange['kind']>(['refreshed', 'checked'])

/**
 * What follows each change, in this order: it is logged; a status move is announced; a
 * connect or a rename is indexed under its names, a disconnect leaves the index and the
 * balance history (so does a reconnect to another account: its balances are not this
 * one's); every change but a refresh, a keep-alive check or a failure clears the owner's
 * panels, so the next page shows it; every change but a refresh or a check retires the
 * tenant's kept listings. Awaited by the lifecycle, so a page after it sees them in step.
 */
export function followUps(f: ChangeFollowers): ConnectionEvents {
  return { changed: (change) => follow(f, change) }
}

async function follow(f: ChangeFollowers, change: ConnectionChange): Promise<void> {
  const { ref } = change
  const retiresListings = !KEEPS_ANSWERS.has(change.kind)
  try {
    await followInOrder(f, change)
  } catch (err) {
    // A listing built in between is never kept, even when a follow-up failed.
    if (retiresListings) await f.listingChanged?.(ref)
    throw err
  }
  // Last, side by side (one round trip): the panels, and the listings, after every write a
  // listing shows (status, names, the index's last read). The same changes as the kept
  // answers' beside the read.
  await Promise.all([
    KEEPS_PANELS.has(change.kind) ? undefined : f.clearPanels(ref),
    retiresListings ? f.listingChanged?.(ref) : undefined,
  ])
}

async function followInOrder(f: ChangeFollowers, change: ConnectionChange): Promise<void> {
  const { ref } = change
  // First: a reader after this change (a send, a reconnect, a disconnect) never gets the read before it.
  if (CHANGES_READ.has(change.kind)) await f.clearKept?.(ref, 'account')
  else if (!KEEPS_ANSWERS.has(change.kind)) await f.clearKept?.(ref, 'answers')
  await f.log?.(change)
  const move = statusMove(change)
  if (move) f.notify(ref, move.from, move.to, move.reason)
  if (change.kind === 'connected' || change.kind === 'disconnected') f.announce(change)
  if (change.kind === 'connected' || change.kind === 'renamed') await f.index(ref, change)
  if (change.kind === 'disconnected') await Promise.all([f.unindex(ref), f.forgetBalances(ref)])
  if (change.kind === 'connected' && change.accountChanged) await f.forgetBalances(ref)
}
