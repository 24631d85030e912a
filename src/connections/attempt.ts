import { isAppError } from '../errors/app-error.js'
import type { CallContext, Provider } from '../providers/types.js'
import type { FailureSite } from '../providers/status.js'
import type { CredentialSource } from './credentials.js'
import type { Admission } from './health.js'
import type { HealthMoves } from './health-moves.js'
import type { ConnectionRecord, ConnectionRef } from './record.js'
import { isDue } from './refresher.js'

/** What one admitted use of a grant needs from the lifecycle. */
export interface AttemptDeps {
  credentials: CredentialSource
  moves: HealthMoves
  lockWaitMs: number
  refresh(ref: ConnectionRef, stale: string, lockWaitMs: number, probe: boolean): Promise<ConnectionRecord>
}

/**
 * One admitted use of a grant: refreshed first when due, once more when the provider rejects
 * the token; a success after degraded recovers the connection, and a failure is judged by
 * the provider's own verdict (health-moves.ts).
 */
export async function attempt<T>(
  deps: AttemptDeps,
  provider: Provider,
  admitted: ConnectionRecord,
  admission: Admission,
  call: (ctx: CallContext, provider: Provider) => Promise<T>,
): Promise<T> {
  const ref = admitted.ref
  let record = admitted
  if (provider.refreshable && isDue(record.grant)) record = await refreshOrKeep(deps, record, admission)
  const credentials = await deps.credentials.issuing(ref.tenantId, ref.provider, record.client)
  let site: FailureSite = 'call'
  try {
    let result: T
    try {
      result = await call({ credentials, grant: record.grant }, provider)
    } catch (err) {
      if (!provider.refreshable || !isAppError(err) || err.code !== 'token_rejected') throw err
      record = await deps.refresh(ref, record.grant.secrets.accessToken, deps.lockWaitMs, admission.probe)
      site = 'fresh_call'
      result = await call({ credentials, grant: record.grant }, provider)
    }
    if (admitted.status === 'degraded') await deps.moves.recovered(admitted)
    return result
  } catch (err) {
    throw await deps.moves.judge(provider, admitted, admission, err, site)
  }
}

/**
 * A proactive refresh that fails for a passing reason (provider down, slow, the lock
 * held elsewhere, even by a process that died holding it) is no reason to stop using an
 * access token that has not expired yet. A dead grant is never papered over.
 */
async function refreshOrKeep(
  deps: AttemptDeps,
  record: ConnectionRecord,
  admission: Admission,
): Promise<ConnectionRecord> {
  const stillValid = record.grant.expiresAt !== undefined && record.grant.expiresAt > Date.now()
  try {
    const wait = stillValid ? 0 : deps.lockWaitMs
    return await deps.refresh(record.ref, record.grant.secrets.accessToken, wait, admission.probe)
  } catch (err) {
    const passing = isAppError(err) && err.code !== 'needs_reconnect' && err.code !== 'not_found'
    if (passing && stillValid) return record
    throw err
  }
}
