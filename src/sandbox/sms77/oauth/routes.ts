import express, { type ErrorRequestHandler, type RequestHandler, type Router } from 'express'
import { injectApiFaults } from '../faults.js'
import { authorizeDecision } from './authorize-decision.js'
import { authorizePage } from './authorize-page.js'
import type { OAuthDeps } from './deps.js'
import { meEndpoint } from './me.js'
import { revokeEndpoint } from './revoke-endpoint.js'
import { tokenEndpoint } from './token-endpoint.js'
import { sendTokenError, TokenError } from './token-error.js'
import { serveCss } from './views.js'

const form = express.urlencoded({ extended: false, limit: '8kb' })

function countMe(deps: OAuthDeps): RequestHandler {
  return (_req, _res, next) => {
    deps.stats.meCalls++
    next()
  }
}

// A body the parser rejects is still an OAuth error in the OAuth error format.
const badBody: ErrorRequestHandler = (err: { type?: string }, _req, res, next) => {
  if (typeof err.type !== 'string' || !err.type.startsWith('entity.')) return next(err)
  sendTokenError(res, new TokenError('invalid_request', 'The request body could not be parsed'))
}

/**
 * The emulated `https://oauth.sms77.io` (PROVIDERS.md §1 endpoint table): authorize with a
 * consent page, token, me and revoke.
 */
export function createOAuthRouter(deps: OAuthDeps): Router {
  const router = express.Router()
  router.get('/assets/sms77.css', serveCss)
  router.get('/authorize', authorizePage(deps))
  router.post('/authorize', form, authorizeDecision(deps))
  router.post('/token', form, tokenEndpoint(deps))
  router.all('/token', (_req, res) => {
    res.set('Allow', 'POST')
    const message = 'The request method must be POST when requesting an access token'
    sendTokenError(res, new TokenError('invalid_request', message, 405))
  })
  router.get('/me', countMe(deps), injectApiFaults(deps.faults), meEndpoint(deps))
  router.post('/revoke', form, revokeEndpoint(deps))
  router.all('/revoke', (_req, res) => {
    res.set('Allow', 'POST')
    const message = 'The request method must be POST when revoking an access token'
    sendTokenError(res, new TokenError('invalid_request', message, 405))
  })
  router.use(badBody)
  return router
}
