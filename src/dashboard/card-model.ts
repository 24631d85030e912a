import type { AccountProfile, PanelView, Provider, ScopeInfo } from '../providers/types.js'
import type { StatusReason } from '../providers/status.js'

/** What the dashboard shows of one provider: a card and its panels, before any HTML. */
export interface PanelModel {
  id: string
  title: string
  view?: PanelView
  error?: string
  /** The panel's HTML, when it was rendered as its answer arrived (page-server.ts). */
  html?: string
}

/** Renders a panel the moment its answer arrives, while the card's slower panels still load. */
export type PanelRenderer = (provider: Provider, panel: PanelModel) => string

export type CardModel =
  | { provider: Provider; state: 'disconnected'; scopes: ScopeInfo[] }
  | {
      provider: Provider
      state: 'needs_reconnect'
      reason?: StatusReason
      grantedScopes: string[]
      accountLabel: string
      name?: string
    }
  | {
      provider: Provider
      state: 'connected'
      /** The provider is not answering (DESIGN.md `degraded`): what is shown is what was last read. */
      degraded?: boolean
      profile?: AccountProfile
      profileError?: string
      panels: PanelModel[]
      grantedScopes: string[]
      accountLabel: string
      name?: string
    }
  | { provider: Provider; state: 'broken'; reason: string }

/** What a connected card shows of its connection's record alone. */
export type CardRecordFacts = Pick<Extract<CardModel, { state: 'connected' }>, 'grantedScopes' | 'name'>

/**
 * A card with the panel cache generation its content was built from: a generation, ANY when
 * the content does not come from the cache (not connected, needs reconnect), or null when the
 * card must not be kept (an error, an answer that did not come from one cache state).
 */
export interface BuiltCard {
  card: CardModel
  generation: string | null
  /** What follows the card's provider read (kept-read.ts `settled`): the page is answered after it. */
  settled?: Promise<void>
}
export const ANY_GENERATION = '*'
