/** Journal rows exactly as the gateway prints them (PROVIDERS.md §2 journal). */
export interface JournalBase {
  id: string
  from: string
  to: string
  text: string
  timestamp: string
  price: string
}

export interface OutboundEntry extends JournalBase {
  connection: string
  dlr: string | null
  dlr_timestamp: string | null
  foreign_id: string | null
  label: string | null
  latency: string | null
  mccmnc: string | null
  type: string
}

export interface InboundEntry extends JournalBase {
  reply_to_message_id: string | null
}

export interface VoiceEntry extends JournalBase {
  duration: string
  error: string
  status: string
  xml: boolean
}

export interface Journals {
  outbound: OutboundEntry[]
  inbound: InboundEntry[]
  replies: InboundEntry[]
  voice: VoiceEntry[]
}

export type JournalType = keyof Journals

export const JOURNAL_TYPES: readonly JournalType[] = ['outbound', 'inbound', 'replies', 'voice']
