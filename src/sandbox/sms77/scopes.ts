/**
 * The twelve OAuth scopes of sms77 / seven, each named after the gateway endpoint it
 * unlocks (PROVIDERS.md §1 "Scopes"; meanings from the provider's scope table).
 */
export const SCOPE_MEANINGS = {
  analytics: 'Query statistics',
  balance: 'Query balance',
  contacts: 'Query and edit contacts',
  hooks: 'Allow to change and view webhooks',
  journal: 'Query your logbook',
  lookup: 'Perform lookup requests (HLR, MNP etc.)',
  pricing: 'Query prices of the account',
  sms: 'Send SMS messages',
  status: 'Query status report of SMS',
  subaccounts: 'Edit and view subaccounts',
  validate_for_voice: 'Verify phone numbers as originators for voice',
  voice: 'Send voice messages',
} as const

export type Scope = keyof typeof SCOPE_MEANINGS

export const ALL_SCOPES = Object.keys(SCOPE_MEANINGS) as Scope[]

/** "If the scope is not specified or is empty, the default scope is used." */
export const DEFAULT_SCOPES: readonly Scope[] = ['balance']

function isScope(s: string): s is Scope {
  return Object.hasOwn(SCOPE_MEANINGS, s)
}

/**
 * Parses a space-separated scope string (RFC 6749 §3.3). Returns null when any
 * scope is unknown, so the caller can answer `invalid_scope` as a whole.
 */
export function parseScopes(raw: string | undefined): Scope[] | null {
  const parts = (raw ?? '').split(' ').filter((s) => s !== '')
  if (parts.length === 0) return [...DEFAULT_SCOPES]
  if (!parts.every(isScope)) return null
  return [...new Set(parts)]
}

export function formatScopes(scopes: readonly Scope[]): string {
  return scopes.join(' ')
}
