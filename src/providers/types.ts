import type { FailureSite, StatusReason } from './status.js'

/**
 * The one interface the rest of Switchboard sees. OAuth 2.0 (sms77) versus OAuth 1.0a
 * (Nexmo) stays inside each implementation's `begin`, `complete` and `refresh`; the
 * connection service, dashboard and support console never branch on the protocol.
 */
export const PROVIDER_IDS = ['sms77', 'nexmo'] as const
export type ProviderId = (typeof PROVIDER_IDS)[number]

/** Consumer/client credentials: the operator's defaults or a tenant's own (white-label). */
export interface ClientCredentials {
  id: string
  secret: string
}

/** Secret material. Only ever stored encrypted, never logged or rendered. */
export interface Secrets {
  accessToken: string
  refreshToken?: string
  /** OAuth 1.0a token secret. */
  tokenSecret?: string
}

/** What a completed authorization yields and the store keeps per (tenant, user, provider). */
export interface Grant {
  secrets: Secrets
  /** Epoch ms the access token expires at; absent when it does not expire (OAuth 1.0a). */
  expiresAt?: number
  /** Epoch ms the access token was obtained (to size the refresh margin to its lifetime). */
  obtainedAt: number
  scopes: string[]
  accountId: string
  /** A human name for the account (email, company), safe to show. */
  accountLabel: string
}

export interface ScopeInfo {
  name: string
  meaning: string
}

export interface Money {
  amount: number
  currency: string
}

export interface AccountProfile {
  accountId: string
  label: string
  /** Shown on the dashboard card in this order; the view formats Money for the reader. */
  fields: Array<{ label: string; value: string | Money }>
  balance?: Money
  /** Company or alias, when the provider names one (shown and searchable in support). */
  company?: string
}

export type TableCell = string | Money | { at: number } // money: a price; at: epoch ms
export type PanelView =
  | { kind: 'stats'; items: Array<{ label: string; value: string | Money }> }
  | { kind: 'table'; columns: string[]; rows: Array<Array<TableCell>>; empty: string; note?: string }
  | {
      kind: 'chart'
      title: string
      points: Array<{ label: string; messages: number; cost: number }>
      currency: string
    }
  | { kind: 'send_sms'; senderHint: string }
  | { kind: 'note'; text: string }
  /** The forms of the grant's tools (ProviderTools); `recent` lists reports of the latest messages. */
  | { kind: 'lookup'; kinds: LookupKind[] }
  | { kind: 'status'; recent?: DeliveryStatus[]; recentNote?: string }
  | { kind: 'voice'; senderHint: string }
  | { kind: 'caller_id' }

export interface PanelDef {
  id: string
  title: string
  scope?: string // the scope that unlocks it (or undefined when the account always has it)
  offline?: boolean // built without calling the provider (a form): shown even while it is down
  tool?: ToolName // the tool its form uses: how a shared card finds the forms a person may use
  load(ctx: CallContext): Promise<PanelView>
  fromProfile?(profile: AccountProfile): PanelView | undefined // from the kept read instead, unless undefined
}

/** What a provider call needs: credentials and the (already fresh) grant. */
export interface CallContext {
  credentials: ClientCredentials
  grant: Grant
}

export interface SmsMessage {
  to: string
  text: string
  from?: string
}

export interface SmsResult {
  messageId: string
  price?: Money // the total of all parts
  /** How many SMS the text was sent as, when the provider says. */
  parts?: number
  encoding?: 'gsm' | 'ucs2'
  /** The account's balance after sending, when the provider says. */
  balance?: Money
}

/** The redirect to the provider and what must be kept until its callback. */
export interface BeginResult {
  redirectUrl: string
  /** The value the callback carries back to find this flow: OAuth 2.0 `state`, OAuth 1.0a request token. */
  correlation: string
  /** Secret to keep (encrypted) until the callback, e.g. the request token secret. */
  pendingSecret?: string
}

/** A parsed callback: either a result to complete, or the user's refusal (an outcome, not an error). */
export type CallbackOutcome =
  | { kind: 'authorized'; correlation: string; params: Record<string, string> }
  | { kind: 'denied'; correlation: string; message: string }

export interface Provider {
  id: ProviderId
  label: string
  protocol: 'oauth2' | 'oauth1a'
  /** Path on BASE_URL the provider sends the browser back to. */
  callbackPath: string
  /** Scopes a user may pick when connecting (empty: the protocol has none). */
  scopes: ScopeInfo[]
  refreshable: boolean
  begin(input: {
    credentials: ClientCredentials
    callbackUrl: string
    state: string
    scopes: string[]
  }): Promise<BeginResult>
  /** Validates the callback query; throws ValidationError on a malformed one. */
  parseCallback(query: unknown): CallbackOutcome
  complete(input: {
    credentials: ClientCredentials
    callbackUrl: string
    params: Record<string, string>
    pendingSecret?: string
    /** What the user asked for, for a provider that does not echo the granted scopes. */
    requestedScopes: string[]
  }): Promise<Grant>
  /** Only for `refreshable` providers. Throws ProviderError `invalid_grant` when the grant is dead. */
  refresh(credentials: ClientCredentials, grant: Grant): Promise<Grant>
  /**
   * Ends the grant at the provider (RFC 7009 for sms77). Absent where the provider
   * documents no revocation (Nexmo): the connection is then deleted locally only.
   */
  revoke?(credentials: ClientCredentials, grant: Grant): Promise<void>
  fetchProfile(ctx: CallContext): Promise<AccountProfile>
  fetchBalance(ctx: CallContext): Promise<Money>
  panels(grant: Grant): PanelDef[]
  sendSms(ctx: CallContext, message: SmsMessage): Promise<SmsResult>
  /** The tools this grant allows (absent: none). */
  tools?(grant: Grant): ProviderTools
  statusReasonOf(error: unknown, site: FailureSite): StatusReason | null // what a failure says (status.ts)
}

/**
 * What a grant lets a person do beyond reading: number lookups, delivery reports, voice
 * messages and caller-ID validation. A provider offers the tools its grant allows
 * (`Provider.tools(grant)`); the dashboard never asks which protocol or scope is behind one.
 */
export const LOOKUP_KINDS = ['format', 'hlr', 'mnp', 'cnam'] as const
export type LookupKind = (typeof LOOKUP_KINDS)[number]

/** A looked-up number, each field only when the provider said (HLR: reachable; CNAM: callerName). */
export interface LookupResult {
  kind: LookupKind
  /** E.164 as the provider wrote it back. */
  number: string
  valid: boolean
  national?: string
  country?: string
  carrier?: string
  networkType?: string
  reachable?: boolean
  ported?: boolean
  roaming?: boolean
  callerName?: string
  price?: Money
}

/** One message's delivery report: the provider's word (DELIVERED, …), when, and to whom if known. */
export interface DeliveryStatus {
  messageId: string
  status: string
  at?: number | string // an instant (epoch ms) when readable, else the provider's text
  to?: string
}

/** A voice message is addressed like an SMS: to, text, an optional sender. */
export type VoiceMessage = SmsMessage
export interface VoiceResult {
  messageId: string
  price?: Money
  balance?: Money
}

export interface CallerIdValidation {
  number: string
  /** The code the provider reads out or asks for on the call. */
  code?: string
  /** True when the provider started the validation call. */
  started: boolean
}

/** Each present tool is allowed by the grant it was asked for. */
export interface ProviderTools {
  lookup?(ctx: CallContext, kind: LookupKind, number: string): Promise<LookupResult>
  deliveryStatus?(ctx: CallContext, messageIds: string[]): Promise<DeliveryStatus[]>
  sendVoice?(ctx: CallContext, message: VoiceMessage): Promise<VoiceResult>
  validateCallerId?(ctx: CallContext, number: string): Promise<CallerIdValidation>
}

export type ToolName = keyof ProviderTools
