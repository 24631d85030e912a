/**
 * The two encodings OAuth 1.0a mixes: RFC 5849 §3.6 percent-encoding (used for the
 * signature base string, the signing key and the `Authorization` header) and the
 * HTML `application/x-www-form-urlencoded` encoding (used by query strings and form
 * bodies, where `+` means space). Mixing them up is the classic client bug, so they
 * live side by side and are never confused with `encodeURIComponent`.
 */

/** A decoded name/value pair; repeated names stay as separate pairs (RFC 5849 §3.4.1.3.1). */
export type Pair = readonly [name: string, value: string]

const UNRESERVED = /[A-Za-z0-9\-._~]/

/**
 * RFC 5849 §3.6: UTF-8 encode, keep ALPHA / DIGIT / `-` `.` `_` `~`, turn every other
 * octet into `%XX` with uppercase hex. Unlike `encodeURIComponent`, `!*'()` are encoded.
 */
export function percentEncode(value: string): string {
  let out = ''
  for (const char of value) {
    if (UNRESERVED.test(char)) {
      out += char
      continue
    }
    for (const byte of Buffer.from(char, 'utf8'))
      out += '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** Thrown when a client sent bytes no conforming encoder produces. */
export class EncodingError extends Error {}

const STRICT_ENCODED = /^(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})*$/

/**
 * Reverses {@link percentEncode} for `Authorization` header values (RFC 5849 §3.5.1).
 * Strict on purpose: a raw `+`, `/` or `=` there means the client skipped §3.6 encoding
 * (typically of a base64 signature), which lenient servers silently misread.
 */
export function percentDecodeStrict(value: string): string {
  if (!STRICT_ENCODED.test(value)) throw new EncodingError(`not percent-encoded per RFC 5849 §3.6: ${value}`)
  return decodeUtf8(value)
}

function decodeUtf8(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    throw new EncodingError(`invalid percent-encoding or UTF-8: ${value}`)
  }
}

/** Decodes one `application/x-www-form-urlencoded` component (`+` is a space). */
export function formDecode(value: string): string {
  return decodeUtf8(value.replace(/\+/g, ' '))
}

/**
 * Splits a query string or form body into decoded pairs, keeping order and repeats.
 * A name without `=` gets an empty value, as in the RFC 5849 §3.4.1.3.1 example (`c2`).
 */
export function parseFormPairs(raw: string): Pair[] {
  const pairs: Pair[] = []
  for (const part of raw.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    const name = eq === -1 ? part : part.slice(0, eq)
    const value = eq === -1 ? '' : part.slice(eq + 1)
    pairs.push([formDecode(name), formDecode(value)])
  }
  return pairs
}

/** Serialises pairs as a form body, encoding with §3.6 so `+` never stands for space. */
export function formEncode(pairs: Iterable<Pair>): string {
  return Array.from(pairs, ([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join('&')
}
