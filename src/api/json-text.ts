import type { Response } from 'express'

/**
 * A kept answer in one write, past express's `res.send`: the ETag it would work out (a SHA-1
 * of every body) is no use on a `no-store` answer, which no client keeps to revalidate, and
 * was a seventh of a kept read's CPU. A HEAD request gets the headers only (node drops the body).
 */
export function sendJsonText(res: Response, body: string): void {
  const bytes = Buffer.from(body)
  res.statusCode = 200
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Content-Length', bytes.length)
  res.end(bytes)
}
