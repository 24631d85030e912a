import type { RequestHandler } from 'express'

/**
 * `Cache-Control: no-store` on every answer this middleware sees: pages that depend on a
 * session (and API answers) must never come back from a cache, the browser's back/forward
 * cache included, or Back after Log out shows the signed-in page again. Mounted after the
 * static files, which keep their own caching; a page that wants caching may set it again.
 */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store')
  next()
}
