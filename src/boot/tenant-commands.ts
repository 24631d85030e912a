import type { Config } from '../config/config.js'
import { buildServices } from './services.js'
import { createLogger } from '../logging/logger.js'
import type { RedisClient } from '../redis/client.js'
import { TenantDeletion } from '../data-lifecycle/tenant-deletion.js'

/**
 * The operator commands that need the services as the server builds them (revoking grants
 * at providers goes through the connection lifecycle): `delete-tenant`.
 */
export async function deleteTenant(config: Config, redis: RedisClient, slug: string): Promise<string | null> {
  const logger = createLogger('warn')
  const services = buildServices({ config, redis, logger })
  try {
    const deletion = new TenantDeletion({ ...services, redis, logger })
    if (!(await services.tenants.get(slug)) && !(await deletion.unfinished(slug))) return null
    const r = await deletion.delete(slug, 'operator (admin CLI)')
    return (
      `deleted ${slug}: ${r.revoked} grants revoked, ${r.revokeFailed} not revoked (logged), ` +
      `${r.jobs} jobs and ${r.keys} keys removed`
    )
  } finally {
    await services.jobs.close(1_000)
  }
}
