import { EncodingError, percentDecodeStrict, type Pair } from './percent-encode.js'

/** The protocol parameters carried by an `Authorization: OAuth …` header. */
export interface OAuthHeader {
  /** RFC 5849 §3.5.1: `realm` is optional and never part of the signature. */
  realm?: string
  /** Decoded parameters in header order, repeats kept so duplicates can be refused. */
  params: Pair[]
}

const SCHEME = /^OAuth(?:\s+|$)/i
// One `name="value"` followed by a comma or the end; RFC 5849 §3.5.1 requires the quotes.
const PARAM_SOURCE = /\s*([^\s=,"]+)\s*=\s*"([^"]*)"\s*(?:,|$)/.source

/**
 * Parses an `Authorization` header per RFC 5849 §3.5.1. Returns `undefined` when the
 * header is absent or uses another scheme; throws {@link EncodingError} when it claims
 * to be OAuth but is malformed or not §3.6-encoded.
 */
export function parseOAuthHeader(header: string | undefined): OAuthHeader | undefined {
  if (header === undefined) return undefined
  const scheme = SCHEME.exec(header)
  if (!scheme) return undefined
  const rest = header.slice(scheme[0].length)
  const result: OAuthHeader = { params: [] }
  const param = new RegExp(PARAM_SOURCE, 'y')
  while (param.lastIndex < rest.length) {
    const start = param.lastIndex
    const m = param.exec(rest)
    if (!m) throw new EncodingError(`malformed Authorization header near: ${rest.slice(start, start + 40)}`)
    const [, rawName = '', rawValue = ''] = m
    if (rawName === 'realm') result.realm = rawValue
    else result.params.push([percentDecodeStrict(rawName), percentDecodeStrict(rawValue)])
  }
  return result
}
