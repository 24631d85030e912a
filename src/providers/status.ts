/**
 * Why a connection is not healthy, from a closed list (DESIGN.md "Connection health and
 * recovery"): the same words on the card, in support, the API, webhooks and metrics.
 */
export const STATUS_REASONS = ['provider_unavailable', 'grant_expired', 'access_revoked'] as const
export type StatusReason = (typeof STATUS_REASONS)[number]

/**
 * Where a failure happened, for a provider to say what it means for the connection:
 * refreshing the grant, a call with the stored token, or a call with a token just refreshed.
 */
export type FailureSite = 'refresh' | 'call' | 'fresh_call'
