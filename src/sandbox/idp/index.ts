import { generateKeyPairSync, randomBytes } from 'node:crypto'
import path from 'node:path'
import ejs from 'ejs'
import express, { type Router } from 'express'
import Provider, { type Configuration } from 'oidc-provider'
import { VIEWS_DIR } from '../../config/paths.js'
import { sandboxLocale } from '../i18n.js'
import { CONSENT_CSS } from '../sms77/oauth/consent-css.js'
import { SANDBOX_IDP_PEOPLE, type IdpOptions } from './people.js'

export { SANDBOX_IDP_DOMAIN, SANDBOX_IDP_PEOPLE, type IdpOptions, type IdpPerson } from './people.js'

/**
 * An OpenID provider for the sandbox and the tests: panva's oidc-provider (certified), with
 * a login page that lists the people (no password, no consent: a stand-in for a company's
 * identity provider). Mount `router` at the issuer's path.
 */
export function createSandboxIdp(opts: IdpOptions): { router: Router; provider: Provider } {
  const people = opts.people ?? SANDBOX_IDP_PEOPLE
  const mount = new URL(opts.issuer).pathname.replace(/\/$/, '')
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const configuration: Configuration = {
    clients: opts.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'sandbox', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The email claims ride in the ID token, as most company identity providers send them.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    ttl: { IdToken: opts.idTokenTtlSec ?? 600 },
    interactions: { url: (_ctx, interaction) => `${mount}/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) => {
      const person = people.find((p) => p.id === id)
      if (!person) return undefined
      return {
        accountId: id,
        claims: () => ({
          sub: id,
          email: person.email,
          email_verified: person.emailVerified,
          name: person.name,
        }),
      }
    },
    // No consent screen: the company's own provider has nothing to ask its people.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId!,
      })
      grant.addOIDCScope('openid email profile')
      await grant.save()
      return grant
    },
  }
  const provider = new Provider(opts.issuer, configuration)
  provider.proxy = true

  const router = express.Router()
  router.get('/interaction/assets/idp.css', (_req, res) => {
    res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(CONSENT_CSS)
  })
  router.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res)
      const locale = sandboxLocale(req)
      const html = await ejs.renderFile(
        path.join(VIEWS_DIR, 'sandbox', 'idp-login.ejs'),
        { ...locale, uid: details.uid, people, hint: String(details.params.login_hint ?? '') },
        { cache: true },
      )
      res.type('html').set('Cache-Control', 'no-store').set('Content-Language', locale.lang).send(html)
    } catch (err) {
      next(err)
    }
  })
  router.post('/interaction/:uid/login', express.urlencoded({ extended: false }), async (req, res, next) => {
    try {
      const accountId = String(req.body?.person ?? '')
      if (!people.some((p) => p.id === accountId)) return void res.status(400).send('Choose a person.')
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId } },
        { mergeWithLastSubmission: false },
      )
    } catch (err) {
      next(err)
    }
  })
  router.use(provider.callback())
  return { router, provider }
}
