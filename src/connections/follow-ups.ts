import type { ConnectionRef } from './connection-store.js'
import { statusMove, type ConnectionChange, type ConnectionEvents } from './events.js'

/**
 * The rooms that react to a connection's changes, handed in as functions so connections/
 * stays below them (it never imports support/, dashboard/, balances/ or notifications/).
 */
export interface ChangeFollowers {
  /** Banners and webhooks of a status move (notifications/). */
  notify(ref: ConnectionRef, from: string, to: string): void
  /** The support console finds the account by its names (support/). */
  index(ref: ConnectionRef, account: { accountLabel: string; name?: string }): Promise<void>
  unindex(ref: ConnectionRef): Promise<void>
  /** Balance history and its alerts end with the connection (balances/). */
  forgetBalances(ref: ConnectionRef): Promise<void>
  /** The owner's cached dashboard panels (dashboard/). */
  clearPanels(ref: ConnectionRef): Promise<void>
}

/**
 * What follows each change, in this order: a status move is announced; a connect or a
 * rename is indexed under its names, a disconnect leaves the index and the balance
 * history; every change but a refresh or a keep-alive check clears the owner's panels,
 * so the next page shows it. Awaited by the lifecycle, so a page after it sees them in step.
 */
export function followUps(f: ChangeFollowers): ConnectionEvents {
  return { changed: (change) => follow(f, change) }
}

async function follow(f: ChangeFollowers, change: ConnectionChange): Promise<void> {
  const { ref } = change
  const move = statusMove(change)
  if (move) f.notify(ref, move.from, move.to)
  if (change.kind === 'connected' || change.kind === 'renamed') await f.index(ref, change)
  if (change.kind === 'disconnected') await Promise.all([f.unindex(ref), f.forgetBalances(ref)])
  if (change.kind !== 'refreshed' && change.kind !== 'checked') await f.clearPanels(ref)
}
