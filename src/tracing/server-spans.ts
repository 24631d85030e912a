import type { RequestHandler } from 'express'
import { routeOf } from '../http/route-of.js'
import { runInSpan } from './spans.js'

const UNTRACED = new Set(['/healthz', '/readyz', '/metrics'])

/**
 * One server span per request, continuing the caller's `traceparent`, named by the route
 * template once Express has matched it (`GET /connect/:provider`), never by the raw URL.
 * Mounted first, and only with tracing on.
 */
export const serverSpans: RequestHandler = (req, res, next) => {
  // Probes and scrapes every few seconds would bury the traces people look for.
  if (UNTRACED.has(req.path)) return next()
  const span = runInSpan(
    req.method,
    { kind: 'server', parent: req.headers, attributes: { 'http.request.method': req.method } },
    next,
  )
  let ended = false
  const end = () => {
    if (ended) return
    ended = true
    const route = routeOf(req)
    span.rename(`${req.method} ${route}`)
    span.set('http.route', route)
    span.set('http.response.status_code', res.statusCode)
    if (res.statusCode >= 500) span.fail(`http_${res.statusCode}`)
    span.end()
  }
  res.once('finish', end)
  res.once('close', end)
}
