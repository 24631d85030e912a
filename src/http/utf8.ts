import { isUtf8 } from 'node:buffer'
import type { RequestHandler } from 'express'

/**
 * Input must be UTF-8. Node's form and query decoders silently turn bytes that are not
 * (raw, or percent-encoded like `%FF`) into U+FFFD, so a name or email could be stored
 * mangled; these hooks answer 400 instead, before anything reads the input.
 */
function percentDecodedBytes(encoded: string): Buffer {
  const bytes = encoded
    .replace(/\+/g, ' ')
    .replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  return Buffer.from(bytes, 'latin1')
}

/** True when `raw` and its percent-decoded form are both valid UTF-8. */
export function isUtf8Form(raw: Buffer): boolean {
  return isUtf8(raw) && isUtf8(percentDecodedBytes(raw.toString('latin1')))
}

function notUtf8(where: string): Error {
  return Object.assign(new Error(`${where} is not valid UTF-8`), {
    status: 400,
    expose: true,
    type: 'encoding.invalid',
  })
}

/** `verify` hook for `express.urlencoded`: throws a 400 error for a body that is not UTF-8. */
export function verifyUtf8Body(_req: unknown, _res: unknown, buf: Buffer): void {
  if (!isUtf8Form(buf)) throw notUtf8('request body')
}

/** Answers 400 to a query string that is not UTF-8 once percent-decoded. */
export const rejectNonUtf8Query: RequestHandler = (req, _res, next) => {
  const q = req.originalUrl.indexOf('?')
  if (q >= 0 && !isUtf8Form(Buffer.from(req.originalUrl.slice(q + 1), 'latin1')))
    return next(notUtf8('query string'))
  next()
}
