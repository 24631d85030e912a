import express, { type Router } from 'express'
import { z } from 'zod'
import { createSms77Sandbox } from './sms77/index.js'
import { createNexmoSandbox } from './nexmo/index.js'
import { emptyStats, noFaults, type SandboxControl, type SandboxOptions, type SandboxStats } from './types.js'

export type { SandboxControl, SandboxOptions } from './types.js'

/** Where each emulated host lives below the sandbox's mount point. */
export const SANDBOX_PATHS = {
  sms77OAuth: '/sms77/oauth',
  sms77Api: '/sms77/api',
  nexmoOAuth: '/nexmo/oauth',
  nexmoRest: '/nexmo/rest',
} as const

export interface Sandbox {
  router: Router
  control: SandboxControl
}

/**
 * The embedded stand-in for oauth.sms77.io, gateway.sms77.io and Nexmo's OAuth 1.0a
 * endpoints. Mount `router` anywhere (the app uses `/sandbox`); provider URLs are then
 * `<mount>/sms77/oauth`, `<mount>/sms77/api`, `<mount>/nexmo/oauth`, `<mount>/nexmo/rest`.
 */
export function createSandbox(options: SandboxOptions): Sandbox {
  const stats: SandboxStats = emptyStats()
  const faults = noFaults()
  const sms77 = createSms77Sandbox({ options: () => control.options.sms77, stats: stats.sms77, faults })
  const nexmo = createNexmoSandbox({ options: () => control.options.nexmo, stats: stats.nexmo, faults })
  const control: SandboxControl = {
    stats,
    faults,
    options,
    setFaults: (f) => Object.assign(faults, f),
    expireSms77AccessTokens: sms77.expireAccessTokens,
    revokeSms77RefreshTokens: sms77.revokeRefreshTokens,
    revokeNexmoAccessTokens: nexmo.revokeAccessTokens,
    sms77RefreshTokens: sms77.refreshTokens,
    reset() {
      // The emulators hold references to their own part of stats: mutate, never replace.
      const fresh = emptyStats()
      Object.assign(stats.sms77, fresh.sms77)
      Object.assign(stats.nexmo, fresh.nexmo)
      Object.assign(faults, noFaults())
    },
  }
  const router = express.Router()
  router.use(SANDBOX_PATHS.sms77OAuth, sms77.oauth)
  router.use(SANDBOX_PATHS.sms77Api, sms77.api)
  router.use(SANDBOX_PATHS.nexmoOAuth, nexmo.oauth)
  router.use(SANDBOX_PATHS.nexmoRest, nexmo.rest)
  router.use('/_control', controlRouter(control))
  return { router, control }
}

const ControlCommand = z.object({
  faults: z
    .object({
      apiLatencyMs: z.number().int().min(0).max(60_000),
      tokenLatencyMs: z.number().int().min(0).max(60_000),
      tokenFails: z.boolean(),
      apiFails: z.boolean(),
      apiMalformed: z.boolean(),
      apiHangs: z.boolean(),
    })
    .partial()
    .optional(),
  accessTokenTtlSec: z.number().int().min(1).max(86_400).optional(),
  action: z
    .enum([
      'expire_sms77_access_tokens',
      'revoke_sms77_refresh_tokens',
      'revoke_nexmo_access_tokens',
      'reset',
    ])
    .optional(),
})

/** JSON control surface so a benchmark or another process can read stats and flip faults. */
function controlRouter(control: SandboxControl): Router {
  const r = express.Router()
  r.get('/', (_req, res) => {
    res.json({ stats: control.stats, faults: control.faults })
  })
  r.post('/', express.json({ limit: '16kb' }), (req, res) => {
    const cmd = ControlCommand.safeParse(req.body)
    if (!cmd.success) {
      res.status(400).json({ error: 'invalid_request', issues: cmd.error.issues })
      return
    }
    if (cmd.data.faults) control.setFaults(cmd.data.faults)
    if (cmd.data.accessTokenTtlSec) control.options.sms77.accessTokenTtlSec = cmd.data.accessTokenTtlSec
    if (cmd.data.action === 'expire_sms77_access_tokens') control.expireSms77AccessTokens()
    if (cmd.data.action === 'revoke_sms77_refresh_tokens') control.revokeSms77RefreshTokens()
    if (cmd.data.action === 'revoke_nexmo_access_tokens') control.revokeNexmoAccessTokens()
    if (cmd.data.action === 'reset') control.reset()
    res.json({ stats: control.stats, faults: control.faults })
  })
  return r
}
