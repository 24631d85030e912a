import type { Config } from '../config.js'
import type { SandboxOptions } from './types.js'

/** The emulated providers know exactly the clients the app is configured with. */
export function sandboxOptionsFor(
  config: Config,
  overrides: { accessTokenTtlSec?: number } = {},
): SandboxOptions {
  return {
    sms77: {
      clients: config.sms77.client ? [config.sms77.client] : [],
      accessTokenTtlSec: overrides.accessTokenTtlSec ?? config.sandbox.tokenTtlSec,
      codeTtlSec: 30,
      refreshGraceSec: 0,
    },
    nexmo: {
      consumers: config.nexmo.consumer
        ? [{ key: config.nexmo.consumer.id, secret: config.nexmo.consumer.secret }]
        : [],
      timestampWindowSec: 300,
    },
  }
}
