import type { Request } from 'express'

/**
 * The matched Express route as a pattern (`/connect/:provider`), mount path included,
 * or `unmatched` (404s, static files, anything answered by plain middleware).
 */
export function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route
  if (!route || route.path === undefined) return 'unmatched'
  const pattern = Array.isArray(route.path) ? route.path.map(String).join('|') : String(route.path)
  return `${req.baseUrl ?? ''}${pattern}` || '/'
}
