import type { ErrorRequestHandler, RequestHandler } from 'express'
import { AppError, isAppError, NotFoundError } from '../errors/app-error.js'
import type { Logger } from '../logging/logger.js'
import { routeOf } from './route-of.js'
import { localeOf } from '../i18n/localize.js'

export const notFound: RequestHandler = (_req, _res, next) => next(new NotFoundError())

const TITLED = new Set([400, 401, 403, 404, 409, 413, 429, 502, 503])
const HEADED = new Set(['csrf_failed', 'state_mismatch'])

// What ioredis throws while Redis is away or hung: the command ran out of retries, got no
// answer within `commandTimeout`, the connection closed under it, or the socket could not
// be opened. express-session and connect-redis pass these on unchanged (a session that
// cannot be loaded or saved); they are sought down the `cause` chain too.
const REDIS_DOWN_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError'])
const REDIS_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTCONN',
])
const REDIS_DOWN_MESSAGE =
  /^(Command timed out|Connection is closed\.?|Stream isn't writeable.*|connect ECONNREFUSED .*)$/

/** True when `err` (or a cause of it) says Redis is unreachable, as opposed to a bug. */
export function isRedisUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (
      REDIS_DOWN_NAMES.has(e.name) ||
      (typeof code === 'string' && REDIS_DOWN_CODES.has(code)) ||
      REDIS_DOWN_MESSAGE.test(e.message)
    )
      return true
  }
  return false
}

/** Maps anything thrown to an AppError; library errors that carry an HTTP status keep it. */
export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err
  if (isRedisUnavailable(err)) {
    return new AppError(
      'service_unavailable',
      'Switchboard cannot reach its data store right now. Please try again in a minute.',
      { status: 503, expose: true, cause: err },
    )
  }
  const status =
    (err as { status?: unknown; statusCode?: unknown })?.status ??
    (err as { statusCode?: unknown })?.statusCode
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = status === 403 ? 'csrf_failed' : status === 404 ? 'not_found' : 'bad_request'
    const message =
      status === 403
        ? 'This form has expired or was not sent by Switchboard. Reload the page and try again.'
        : status === 413
          ? 'The request is too large.'
          : 'The request was not understood.'
    return new AppError(code, message, { status, cause: err })
  }
  return new AppError('internal', 'Something went wrong on our side.', {
    status: 500,
    expose: false,
    cause: err,
  })
}

/** The one place that decides what a user sees of an error; never a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const appErr = toAppError(err)
    const log = { code: appErr.code, status: appErr.status, err: appErr.cause ?? err, path: routeOf(req) }
    if (appErr.status >= 500) logger.error(log, 'request failed')
    else logger.debug(log, 'request rejected')
    if (res.headersSent) return
    const message = appErr.expose ? appErr.message : localeOf(req).t('errors.hidden')
    res.status(appErr.status)
    if (appErr.code === 'service_unavailable') res.setHeader('Retry-After', '5')
    if (req.accepts(['html', 'json']) === 'json') {
      res.json({ error: appErr.code, message })
      return
    }
    // A request refused before the CSRF token was made (a CSRF failure itself) still renders
    // the signed-in header; and should the page itself fail, the user gets plain words,
    // never Express's default page with a stack trace. Only the signed-in header has a form
    // (Log out): an anonymous error page makes no token, so a 404 stores no session.
    if (!res.locals.user) res.locals.csrfToken = ''
    // English keeps each error's own sentence; other languages say what its code means.
    const { lang, t } = localeOf(req)
    const locals = {
      // A few codes have a heading of their own in plain words ("This form has expired").
      title: HEADED.has(appErr.code)
        ? t(`errors.heading.${appErr.code}`)
        : t(`errors.title.${TITLED.has(appErr.status) ? appErr.status : 'other'}`),
      status: appErr.status,
      message:
        lang === 'en' || !appErr.expose || appErr.localized ? message : t(`errors.message.${appErr.code}`),
      code: appErr.code,
    }
    res.render('error', { csrfToken: res.locals.csrfToken ?? '', ...locals }, (renderErr, html) => {
      if (!renderErr) return void res.send(html)
      logger.error({ err: renderErr, path: routeOf(req) }, 'error page failed to render')
      res.type('text/plain').send(`${locals.title} (${appErr.status}): ${message}`)
    })
  }
}
