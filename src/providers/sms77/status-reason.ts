import { isAppError } from '../../errors/app-error.js'
import type { FailureSite, StatusReason } from '../status.js'

/**
 * What a failed sms77 call means for the connection, read from the codes errors.ts gave
 * it: down or 5xx is passing; a refresh refused with `invalid_grant` is an expired grant;
 * a token refused right after a successful refresh means the person revoked access at sms77.
 */
export function sms77StatusReason(error: unknown, site: FailureSite): StatusReason | null {
  if (!isAppError(error)) return null
  if (error.code === 'provider_unavailable') return 'provider_unavailable'
  if (error.code === 'invalid_grant') return 'grant_expired'
  if (error.code === 'token_rejected' && site === 'fresh_call') return 'access_revoked'
  return null
}
