import express, { type RequestHandler } from 'express'
import { AppError } from '../errors/app-error.js'

/** The largest request body the API reads. */
export const MAX_BODY_BYTES = 16 * 1024

/**
 * The API takes JSON only. A body of another type (a form, text) is refused as 415 saying so,
 * instead of being skipped and then reported as missing fields; a body past the limit is a
 * 413 naming the limit.
 */
export function jsonBody(): RequestHandler[] {
  const onlyJson: RequestHandler = (req, _res, next) => {
    // false: a body of another type; null: no body at all (then the fields are simply missing).
    if (req.is(['application/json', 'application/*+json']) === false)
      return next(
        new AppError(
          'unsupported_media_type',
          `Send the body as JSON with \`Content-Type: application/json\`; this one was \`${String(req.get('content-type')).slice(0, 80)}\`.`,
          { status: 415 },
        ),
      )
    next()
  }
  const parse = express.json({ limit: MAX_BODY_BYTES, strict: true })
  const tooLarge: RequestHandler = (req, res, next) =>
    parse(req, res, (err?: unknown) => {
      const e = err as { type?: string; length?: number } | undefined
      if (e?.type !== 'entity.too.large') return next(err)
      const size = e.length ? `; this one has ${e.length} bytes` : ''
      next(
        new AppError(
          'payload_too_large',
          `The request body may be at most ${MAX_BODY_BYTES} bytes (16 kB)${size}.`,
          { status: 413, cause: err },
        ),
      )
    })
  return [onlyJson, tooLarge]
}
