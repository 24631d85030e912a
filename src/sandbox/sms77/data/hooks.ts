/** A webhook subscription as `/hooks` reads it back (PROVIDERS.md §2 hooks). */
export interface Hook {
  id: string
  target_url: string
  event_type: string
  request_method: string
  event_filter: string | null
  enabled: boolean
  created: string
  headers: string
}

export const HOOK_EVENT_TYPES = [
  'all',
  'dlr',
  'sms_mo',
  'rcs',
  'tracking',
  'voice_call',
  'voice_status',
] as const
export const HOOK_REQUEST_METHODS = ['GET', 'JSON', 'POST'] as const
