import { formEncode, type Pair } from './percent-encode.js'

const MAX_CALLBACK_LENGTH = 2048

/**
 * RFC 5849 §2.1: `oauth_callback` is an absolute URI or the literal `oob` (case
 * sensitive). Only http(s) is accepted: anything else would let a request token
 * redirect the user's browser to `javascript:` or a custom scheme.
 */
export function isAcceptableCallback(callback: string): boolean {
  if (callback === 'oob') return true
  if (callback.length > MAX_CALLBACK_LENGTH) return false
  try {
    const url = new URL(callback)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/**
 * Appends parameters to the callback the client registered (§2.2), keeping its own
 * query untouched (no re-serialisation, which would rewrite its encoding) and any
 * fragment last where it belongs.
 */
export function appendToCallback(callback: string, params: Pair[]): string {
  const hashAt = callback.indexOf('#')
  const base = hashAt === -1 ? callback : callback.slice(0, hashAt)
  const fragment = hashAt === -1 ? '' : callback.slice(hashAt)
  const separator = !base.includes('?') ? '?' : /[?&]$/.test(base) ? '' : '&'
  return base + separator + formEncode(params) + fragment
}
