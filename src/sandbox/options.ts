import type { Config } from '../config/config.js'
import { DEFAULT_REFRESH_TOKEN_TTL_SEC, type SandboxOptions } from './types.js'

/**
 * `SANDBOX_REFRESH_TOKEN_TTL` reaches the sandbox as `config.sandbox.refreshTokenTtlSec` once
 * config.ts (the only reader of the environment) parses it; until then the default applies.
 */
type SandboxConfig = Config['sandbox'] & { refreshTokenTtlSec?: number }

/** The emulated providers know exactly the clients the app is configured with. */
export function sandboxOptionsFor(
  config: Config,
  overrides: { accessTokenTtlSec?: number; refreshTokenTtlSec?: number; requirePkce?: boolean } = {},
): SandboxOptions {
  const sandbox: SandboxConfig = config.sandbox
  return {
    sms77: {
      clients: config.sms77.client ? [config.sms77.client] : [],
      accessTokenTtlSec: overrides.accessTokenTtlSec ?? sandbox.tokenTtlSec,
      codeTtlSec: 30,
      refreshGraceSec: 0,
      refreshTokenTtlSec:
        overrides.refreshTokenTtlSec ?? sandbox.refreshTokenTtlSec ?? DEFAULT_REFRESH_TOKEN_TTL_SEC,
      requirePkce: overrides.requirePkce ?? false,
    },
    nexmo: {
      consumers: config.nexmo.consumer
        ? [{ key: config.nexmo.consumer.id, secret: config.nexmo.consumer.secret }]
        : [],
      timestampWindowSec: 300,
    },
  }
}
