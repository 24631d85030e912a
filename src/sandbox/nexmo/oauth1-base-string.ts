import { createHmac } from 'node:crypto'
import { parseFormPairs, percentEncode, type Pair } from './percent-encode.js'

/** What the signature covers: the request line and every signed parameter. */
export interface SignatureBaseInput {
  /** HTTP method as sent; upper-cased here (RFC 5849 §3.4.1.1 item 1). */
  method: string
  /**
   * The absolute request URL as the server received it. Its query string contributes
   * parameters (§3.4.1.3.1); do not pass those again in `params`.
   */
  url: string
  /** Decoded parameters from the `Authorization` header (minus `realm` and `oauth_signature`) and the form body. */
  params: Iterable<Pair>
}

const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' }

/**
 * RFC 5849 §3.4.1.2 base string URI: lowercase scheme and host, default port dropped,
 * path kept as sent (or `/`), no userinfo, query or fragment. Parsed by hand because
 * WHATWG `URL` would re-normalise the path, hiding what the client actually signed.
 */
export function baseStringUri(url: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(url)
  if (!m) throw new Error(`not an absolute URL: ${url}`)
  const scheme = (m[1] ?? '').toLowerCase()
  const authority = (m[2] ?? '').replace(/^.*@/, '')
  const path = m[3] || '/'
  // The port follows the last colon unless that colon is inside an IPv6 literal.
  const portAt = authority.lastIndexOf(':')
  const hasPort = portAt > authority.lastIndexOf(']')
  let host = (hasPort ? authority.slice(0, portAt) : authority).toLowerCase()
  const port = hasPort ? authority.slice(portAt + 1) : ''
  if (port !== '' && port !== DEFAULT_PORT[scheme]) host += ':' + port
  return `${scheme}://${host}${path}`
}

/** The query string of `url` (without `?` or fragment), or `''`. */
function queryOf(url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return ''
  const hash = url.indexOf('#', q)
  return url.slice(q + 1, hash === -1 ? undefined : hash)
}

/**
 * RFC 5849 §3.4.1.3.2: encode every name and value, sort by encoded name then encoded
 * value (plain byte order, which is code-unit order once everything is ASCII), join.
 */
export function normalizeParameters(params: Iterable<Pair>): string {
  const encoded = Array.from(params, ([n, v]) => [percentEncode(n), percentEncode(v)] as const)
  encoded.sort(([an, av], [bn, bv]) => (an === bn ? compare(av, bv) : compare(an, bn)))
  return encoded.map(([n, v]) => `${n}=${v}`).join('&')
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** RFC 5849 §3.4.1.1: `METHOD&enc(base string URI)&enc(normalized parameters)`. */
export function signatureBaseString(input: SignatureBaseInput): string {
  const params = [...parseFormPairs(queryOf(input.url)), ...input.params]
  return [
    percentEncode(input.method.toUpperCase()),
    percentEncode(baseStringUri(input.url)),
    percentEncode(normalizeParameters(params)),
  ].join('&')
}

/**
 * RFC 5849 §3.4.2 HMAC-SHA1, base64. The key is `enc(consumer secret)&enc(token secret)`,
 * with the token secret empty (but the `&` kept) when there is no token yet.
 */
export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret = ''): string {
  const key = `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`
  return createHmac('sha1', key).update(baseString, 'utf8').digest('base64')
}
