import type { Request } from 'express'

/**
 * The matched Express route as a pattern (`/reset/:token`), mount path included, or
 * `unmatched` (404s, static files, anything answered by plain middleware). This, never the
 * path as sent, is what logs and metrics name: paths carry one-time tokens (reset and
 * invitation links, and any later link of that kind), and a pattern is bounded.
 */
export function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route
  if (!route || route.path === undefined) return 'unmatched'
  const pattern = Array.isArray(route.path) ? route.path.map(String).join('|') : String(route.path)
  return `${req.baseUrl ?? ''}${pattern}` || '/'
}

/**
 * Query keys whose values are never secret and help reading a log. Everything else (OAuth
 * `code`, `state`, `oauth_token`, `oauth_verifier`, any `token`) is left out by default, so a
 * new route with a secret in its query is safe without anyone remembering this list.
 */
const HARMLESS_QUERY_KEYS = new Set(['signed_out', 'page', 'role', 'lang', 'denied', 'error', 'provider'])

/** The harmless part of the query (short values only), or undefined when there is none. */
export function harmlessQuery(req: Request): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(req.query ?? {}))
    if (HARMLESS_QUERY_KEYS.has(key) && typeof value === 'string') out[key] = value.slice(0, 40)
  return Object.keys(out).length ? out : undefined
}
