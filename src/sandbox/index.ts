import express, { type Router } from 'express'
import { createSms77Sandbox } from './sms77/index.js'
import { controlRouter } from './control-routes.js'
import { createNexmoSandbox } from './nexmo/index.js'
import { SANDBOX_IDP_DOMAIN, type IdpOptions } from './idp/people.js'
import { KeptState, type SandboxStateStore } from './kept-state.js'
import { emptyStats, noFaults, type SandboxControl, type SandboxOptions, type SandboxStats } from './types.js'

export type { SandboxControl, SandboxOptions, Sms77Revocation } from './types.js'
export type { SandboxStateStore } from './kept-state.js'
export { SANDBOX_IDP_DOMAIN, SANDBOX_IDP_PEOPLE, type IdpPerson } from './idp/people.js'
export { tokenFingerprint } from './sms77/oauth/revoke-token.js'

/** Where each emulated host lives below the sandbox's mount point. */
export const SANDBOX_PATHS = {
  sms77OAuth: '/sms77/oauth',
  sms77Api: '/sms77/api',
  nexmoOAuth: '/nexmo/oauth',
  nexmoRest: '/nexmo/rest',
  idp: '/idp',
} as const

export interface Sandbox {
  router: Router
  control: SandboxControl
  /** What /admin/sso is filled in with, when the sandbox's identity provider is on. */
  sso?: { issuer: string; clientId: string; clientSecret: string; domains: string }
  /** Settles once kept state is loaded from the store (at once without one): serve after it. */
  ready: Promise<void>
}

/**
 * The embedded stand-in for oauth.sms77.io, gateway.sms77.io and Nexmo's OAuth 1.0a
 * endpoints. Mount `router` anywhere (the app uses `/sandbox`); provider URLs are then
 * `<mount>/sms77/oauth`, `<mount>/sms77/api`, `<mount>/nexmo/oauth`, `<mount>/nexmo/rest`.
 */
export function createSandbox(
  options: SandboxOptions,
  kept: { store?: SandboxStateStore; onError?: (err: unknown) => void } = {},
): Sandbox {
  const stats: SandboxStats = emptyStats()
  const faults = noFaults()
  const state = new KeptState(kept.store, kept.onError)
  const sms77 = createSms77Sandbox({
    options: () => control.options.sms77,
    stats: stats.sms77,
    faults,
    state,
  })
  const nexmo = createNexmoSandbox({
    options: () => control.options.nexmo,
    stats: stats.nexmo,
    faults,
    state,
  })
  const control: SandboxControl = {
    stats,
    faults,
    options,
    setFaults: (f) => Object.assign(faults, f),
    expireSms77AccessTokens: sms77.expireAccessTokens,
    revokeSms77RefreshTokens: sms77.revokeRefreshTokens,
    revokeNexmoAccessTokens: nexmo.revokeAccessTokens,
    sms77RefreshTokens: sms77.refreshTokens,
    sms77Revocations: () => stats.sms77.revocations.map((r) => ({ ...r })),
    reset() {
      // The emulators hold references to their own part of stats: mutate, never replace.
      const fresh = emptyStats()
      // A fresh revocations array too, so a copy a test holds from before stays as it was.
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
  const ready = state.restore()
  const idp = options.idp
  if (!idp) return { router, control, ready }
  const clients = [
    { clientId: idp.clientId, clientSecret: idp.clientSecret, redirectUris: [idp.redirectUri] },
  ]
  router.use(SANDBOX_PATHS.idp, lazyIdp({ issuer: idp.issuer, clients }))
  const sso = {
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    domains: SANDBOX_IDP_DOMAIN,
  }
  return { router, control, ready, sso }
}

/**
 * The identity provider is built on its first request: oidc-provider (and its start-up
 * warnings) is loaded only when someone uses the sandbox's single sign-on.
 */
function lazyIdp(opts: IdpOptions): Router {
  let built: Promise<Router> | undefined
  const router = express.Router()
  router.use((req, res, next) => {
    built ??= import('./idp/index.js').then((m) => m.createSandboxIdp(opts).router)
    built.then((idp) => idp(req, res, next), next)
  })
  return router
}
