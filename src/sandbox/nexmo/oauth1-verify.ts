import { timingSafeEqual } from 'node:crypto'
import { hmacSha1Signature, signatureBaseString } from './oauth1-base-string.js'
import { parseOAuthHeader } from './oauth1-header.js'
import type {
  OAuthFailureInfo,
  OAuthProblem,
  OAuthRequest,
  VerifyOutcome,
  VerifyPolicy,
} from './oauth1-types.js'
import { EncodingError, parseFormPairs, type Pair } from './percent-encode.js'

export {
  baseStringUri,
  hmacSha1Signature,
  normalizeParameters,
  signatureBaseString,
} from './oauth1-base-string.js'
export { parseOAuthHeader } from './oauth1-header.js'
export { formDecode, parseFormPairs, percentEncode } from './percent-encode.js'
export type * from './oauth1-types.js'

class OAuthFailure extends Error {
  constructor(readonly info: OAuthFailureInfo) {
    super(info.problem)
  }
}

function fail(
  status: 400 | 401,
  problem: OAuthProblem,
  advice: string,
  extra: Record<string, string> = {},
): never {
  throw new OAuthFailure({ status, problem, advice, extra })
}

const REQUIRED = [
  'oauth_consumer_key',
  'oauth_signature_method',
  'oauth_signature',
  'oauth_timestamp',
  'oauth_nonce',
]

/**
 * Verifies an HMAC-SHA1 signed OAuth 1.0a request (RFC 5849 §3.2): header syntax
 * (§3.5.1), required parameters (§3.1), version, timestamp window and nonce (§3.3),
 * client and token credentials, then the signature (§3.4.1, §3.4.2) compared in
 * constant time. The nonce is claimed last so a forged request cannot burn the nonce
 * of the genuine one it copied.
 */
export function verifyOAuthRequest(req: OAuthRequest, policy: VerifyPolicy): VerifyOutcome {
  try {
    const { protocol, others } = readParams(req)
    checkRequired(protocol, policy.tokenSecret !== undefined)
    const timestamp = checkMethodVersionTimestamp(protocol, policy)
    const { consumerKey, consumerSecret, token, tokenSecret } = resolveCredentials(protocol, policy)
    checkSignature(req, protocol, consumerSecret, tokenSecret)
    const nonce = protocol.get('oauth_nonce') ?? ''
    if (!policy.nonces.claim(consumerKey, timestamp, nonce, policy.nowSec, policy.timestampWindowSec)) {
      fail(401, 'nonce_used', 'this oauth_nonce was already used with this timestamp')
    }
    return { ok: true, consumerKey, token, protocol, params: others }
  } catch (err) {
    if (err instanceof OAuthFailure) return { ok: false, ...err.info }
    throw err
  }
}

function queryPairs(url: string): Pair[] {
  const q = url.indexOf('?')
  return q === -1 ? [] : parseFormPairs(url.slice(q + 1).split('#')[0] ?? '')
}

/** Header params as a map plus query and body pairs; OAuth params outside the header are refused since Nexmo supports the header only. */
function readParams(req: OAuthRequest): { protocol: Map<string, string>; others: Pair[] } {
  let header
  let others: Pair[]
  try {
    header = parseOAuthHeader(req.authorization)
    others = [...queryPairs(req.url), ...parseFormPairs(req.formBody)]
  } catch (err) {
    if (err instanceof EncodingError) fail(400, 'parameter_rejected', err.message)
    throw err
  }
  const stray = others.find(([name]) => name.startsWith('oauth_'))
  if (stray) fail(400, 'parameter_rejected', `${stray[0]} must be sent in the Authorization header only`)
  if (!header) fail(401, 'parameter_absent', 'send the OAuth parameters in an "Authorization: OAuth" header')
  const protocol = new Map<string, string>()
  for (const [name, value] of header.params) {
    if (protocol.has(name)) fail(400, 'parameter_rejected', `duplicated protocol parameter ${name}`)
    protocol.set(name, value)
  }
  return { protocol, others }
}

function checkRequired(protocol: Map<string, string>, tokenRequired: boolean): void {
  const required = tokenRequired ? [...REQUIRED, 'oauth_token'] : REQUIRED
  const absent = required.filter((name) => !protocol.get(name))
  if (absent.length > 0) {
    fail(401, 'parameter_absent', `missing ${absent.join(', ')}`, {
      oauth_parameters_absent: absent.join('&'),
    })
  }
}

function checkMethodVersionTimestamp(protocol: Map<string, string>, policy: VerifyPolicy): number {
  if (protocol.get('oauth_signature_method') !== 'HMAC-SHA1') {
    fail(400, 'signature_method_rejected', 'only HMAC-SHA1 is supported')
  }
  const version = protocol.get('oauth_version')
  // RFC 5849 §3.1 allows only "1.0"; "1.0a" is tolerated because widespread clients
  // (node-oauth with '1.0A') send the revision name, and it is signed either way.
  if (version !== undefined && !/^1\.0a?$/i.test(version)) {
    fail(400, 'version_rejected', 'oauth_version must be 1.0', { oauth_acceptable_versions: '1.0-1.0' })
  }
  const raw = protocol.get('oauth_timestamp') ?? ''
  const timestamp = /^\d{1,12}$/.test(raw) ? Number(raw) : NaN
  const { nowSec, timestampWindowSec: w } = policy
  if (!(Math.abs(nowSec - timestamp) <= w)) {
    fail(401, 'timestamp_refused', `oauth_timestamp must be within ${w}s of the server clock (${nowSec})`, {
      oauth_acceptable_timestamps: `${nowSec - w}-${nowSec + w}`,
    })
  }
  return timestamp
}

function resolveCredentials(protocol: Map<string, string>, policy: VerifyPolicy) {
  const consumerKey = protocol.get('oauth_consumer_key') ?? ''
  const consumer = policy.consumers.find((c) => c.key === consumerKey)
  if (!consumer) fail(401, 'consumer_key_unknown', 'unknown oauth_consumer_key')
  const token = protocol.get('oauth_token') || undefined
  if (!policy.tokenSecret) {
    if (token) fail(401, 'token_rejected', 'this endpoint takes no oauth_token')
    return { consumerKey, consumerSecret: consumer.secret, token, tokenSecret: '' }
  }
  const tokenSecret = token === undefined ? undefined : policy.tokenSecret(token, consumerKey)
  if (tokenSecret === undefined)
    fail(401, 'token_rejected', 'oauth_token is unknown, expired, used or revoked')
  return { consumerKey, consumerSecret: consumer.secret, token, tokenSecret }
}

function checkSignature(
  req: OAuthRequest,
  protocol: Map<string, string>,
  consumerSecret: string,
  tokenSecret: string,
) {
  const signed = [...protocol].filter(([name]) => name !== 'oauth_signature')
  const body = parseFormPairs(req.formBody)
  const base = signatureBaseString({ method: req.method, url: req.url, params: [...signed, ...body] })
  const expected = Buffer.from(hmacSha1Signature(base, consumerSecret, tokenSecret))
  const given = Buffer.from(protocol.get('oauth_signature') ?? '')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    // The sandbox exists to debug clients, so it reports its base string (as Flickr's
    // `debug_sbs` did); every part of it was sent by the client in clear anyway.
    fail(401, 'signature_invalid', 'oauth_signature does not match', { debug_sbs: base })
  }
}
