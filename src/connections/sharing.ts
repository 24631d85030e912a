import type { TenantCiphers } from '../crypto/tenant-ciphers.js'
import type { RedisClient } from '../redis/client.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ConnectionLifecycle } from './lifecycle.js'
import { MessageSender } from './message-sender.js'
import { SharedAccess } from './shared-access.js'

/** The organisation connections' services, for the composition root. */
export interface SharingServices {
  /** Who may use the organisation's shared connections, and their daily limits. */
  sharing: SharedAccess
  /** The one send path (dashboard, API, MCP): limits, then the provider, then who sent it. */
  sender: MessageSender
}

export function buildSharing(deps: {
  redis: RedisClient
  ciphers: TenantCiphers
  lifecycle: ConnectionLifecycle
  audit: Pick<AuditLog, 'record'>
}): SharingServices {
  return { sharing: new SharedAccess(deps.redis), sender: new MessageSender(deps) }
}
