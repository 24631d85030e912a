import type { ScopeInfo } from '../types.js'

/** The twelve scopes of the sms77 OAuth document (seeds/sms77-oauth2.txt), each named after its endpoint. */
export const SMS77_SCOPES: ScopeInfo[] = [
  { name: 'analytics', meaning: 'Query statistics' },
  { name: 'balance', meaning: 'Query balance' },
  { name: 'contacts', meaning: 'Query and edit contacts' },
  { name: 'hooks', meaning: 'Allow to change and view webhooks' },
  { name: 'journal', meaning: 'Query your logbook' },
  { name: 'lookup', meaning: 'Perform lookup requests (HLR, MNP etc.)' },
  { name: 'pricing', meaning: 'Query prices of the account' },
  { name: 'sms', meaning: 'Send SMS messages' },
  { name: 'status', meaning: 'Query status report of SMS' },
  { name: 'subaccounts', meaning: 'Edit and view subaccounts' },
  { name: 'validate_for_voice', meaning: 'Verify phone numbers as originators for voice' },
  { name: 'voice', meaning: 'Send voice messages' },
]

export const SMS77_SCOPE_NAMES = SMS77_SCOPES.map((s) => s.name)
