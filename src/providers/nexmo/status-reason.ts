import { isAppError } from '../../errors/app-error.js'
import type { FailureSite, StatusReason } from '../status.js'

/**
 * What a failed Nexmo call means for the connection, read from the codes errors.ts gave
 * it: down or 5xx is passing; OAuth 1.0a tokens never expire, so a refused token means the
 * person revoked access at Nexmo.
 */
export function nexmoStatusReason(error: unknown, _site: FailureSite): StatusReason | null {
  if (!isAppError(error)) return null
  if (error.code === 'provider_unavailable') return 'provider_unavailable'
  if (error.code === 'token_rejected') return 'access_revoked'
  return null
}
