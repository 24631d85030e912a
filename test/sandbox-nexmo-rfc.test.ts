import { createHmac } from 'node:crypto'
import OAuth1a from 'oauth-1.0a'
import { describe, expect, it } from 'vitest'
import { NonceStore } from '../src/sandbox/nexmo/nonce-store.js'
import {
  baseStringUri,
  hmacSha1Signature,
  normalizeParameters,
  parseFormPairs,
  parseOAuthHeader,
  percentEncode,
  signatureBaseString,
  verifyOAuthRequest,
  type OAuthRequest,
  type VerifyPolicy,
} from '../src/sandbox/nexmo/oauth1-verify.js'

const PHOTOS_URL = 'http://photos.example.net/photos?file=vacation.jpg&size=original'
const PHOTOS_CONSUMER = { key: 'dpf43f3p2l4k3l03', secret: 'kd94hf93k423kf44' }
const PHOTOS_TOKEN = { key: 'nnch734d00sl2jdk', secret: 'pfkkdhi9sl3r4s00' }

describe('RFC 5849 signature construction', () => {
  it('reproduces the photos example (OAuth Core 1.0 A.5, as RFC 5849 §1.2 derives it)', () => {
    const base = signatureBaseString({
      method: 'GET',
      url: PHOTOS_URL,
      params: [
        ['oauth_consumer_key', PHOTOS_CONSUMER.key],
        ['oauth_token', PHOTOS_TOKEN.key],
        ['oauth_signature_method', 'HMAC-SHA1'],
        ['oauth_timestamp', '1191242096'],
        ['oauth_nonce', 'kllo9940pd9333jh'],
        ['oauth_version', '1.0'],
      ],
    })
    expect(base).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03' +
        '%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096' +
        '%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal',
    )
    expect(hmacSha1Signature(base, PHOTOS_CONSUMER.secret, PHOTOS_TOKEN.secret)).toBe(
      'tR3+Ty81lMeYAr/Fid0kMTYa/WM=',
    )
  })

  it('builds exactly the §3.4.1.1 base string from the raw example request', () => {
    const header = parseOAuthHeader(
      `OAuth realm="Example",
                oauth_consumer_key="9djdj82h48djs9d2",
                oauth_token="kkk9d7dh3k39sjv7",
                oauth_signature_method="HMAC-SHA1",
                oauth_timestamp="137131201",
                oauth_nonce="7d8f3e4a",
                oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"`,
    )
    expect(header?.realm).toBe('Example')
    const signed = (header?.params ?? []).filter(([n]) => n !== 'oauth_signature')
    const base = signatureBaseString({
      method: 'post',
      url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b',
      params: [...signed, ...parseFormPairs('c2&a3=2+q')],
    })
    expect(base).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q' +
        '%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_' +
        'key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m' +
        'ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk' +
        '9d7dh3k39sjv7',
    )
  })

  it('normalises parameters as §3.4.1.3.2 prints them (repeats kept, sorted by name then value)', () => {
    const normalized = normalizeParameters([
      ['b5', '=%3D'],
      ['a3', 'a'],
      ['c@', ''],
      ['a2', 'r b'],
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['c2', ''],
      ['a3', '2 q'],
    ])
    expect(normalized).toBe(
      'a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2',
    )
  })

  it('builds the base string URI per §3.4.1.2', () => {
    expect(baseStringUri('HTTP://EXAMPLE.COM:80/r%20v/X?id=123')).toBe('http://example.com/r%20v/X')
    expect(baseStringUri('https://www.example.net:8080/?q=1')).toBe('https://www.example.net:8080/')
    expect(baseStringUri('https://Example.net:443')).toBe('https://example.net/')
    expect(baseStringUri('http://user:pw@[::1]:3000/a#frag')).toBe('http://[::1]:3000/a')
  })

  it('keys HMAC-SHA1 with the encoded secrets joined by & (§3.4.2)', () => {
    const expected = createHmac('sha1', 'a%2Bb%2F%3D&').update('base').digest('base64')
    expect(hmacSha1Signature('base', 'a+b/=')).toBe(expected)
    expect(hmacSha1Signature('base', 'a+b/=', '')).toBe(expected)
  })
})

describe('percent-encoding (§3.6) and form decoding', () => {
  it.each([
    [' ', '%20'],
    ['~-._', '~-._'],
    ['AZaz09', 'AZaz09'],
    ['*', '%2A'],
    ['!', '%21'],
    ["'()", '%27%28%29'],
    ['+/=&%', '%2B%2F%3D%26%25'],
    ['é', '%C3%A9'],
    ['€', '%E2%82%AC'],
    ['😀', '%F0%9F%98%80'],
  ])('encodes %j as %s', (raw, encoded) => {
    expect(percentEncode(raw)).toBe(encoded)
  })

  it('decodes forms with + as space, keeps repeats and order, and refuses broken escapes', () => {
    expect(parseFormPairs('a=1&a=2+3&b&c=%E2%82%AC&&d=')).toEqual([
      ['a', '1'],
      ['a', '2 3'],
      ['b', ''],
      ['c', '€'],
      ['d', ''],
    ])
    expect(() => parseFormPairs('a=%ZZ')).toThrow()
    expect(() => parseFormPairs('a=%C3')).toThrow()
  })
})

describe('Authorization header parsing (§3.5.1)', () => {
  it('ignores other schemes and excludes realm from the parameters', () => {
    expect(parseOAuthHeader('Bearer abc')).toBeUndefined()
    expect(parseOAuthHeader(undefined)).toBeUndefined()
    const h = parseOAuthHeader('oauth realm="r",oauth_nonce="a%20b" ,  oauth_token=""')
    expect(h).toEqual({
      realm: 'r',
      params: [
        ['oauth_nonce', 'a b'],
        ['oauth_token', ''],
      ],
    })
  })

  it('refuses unencoded values and malformed syntax', () => {
    expect(() => parseOAuthHeader('OAuth oauth_signature="tR3+Ty81lMeYAr/Fid0kMTYa/WM="')).toThrow(/3\.6/)
    expect(() => parseOAuthHeader('OAuth oauth_nonce=abc')).toThrow(/malformed/)
    expect(() => parseOAuthHeader('OAuth oauth_nonce="a" oauth_token="b"')).toThrow(/malformed/)
  })
})

const NOW = 1_700_000_000

function photosPolicy(overrides: Partial<VerifyPolicy> = {}): VerifyPolicy {
  return {
    consumers: [PHOTOS_CONSUMER],
    nowSec: NOW,
    timestampWindowSec: 300,
    nonces: new NonceStore(),
    tokenSecret: (token) => (token === PHOTOS_TOKEN.key ? PHOTOS_TOKEN.secret : undefined),
    ...overrides,
  }
}

/** Signed by the independent `oauth-1.0a` library, so the verifier is not checked against itself. */
function signedRequest(
  opts: { method?: string; url?: string; form?: Record<string, string>; now?: number } = {},
) {
  const signer = new OAuth1a({
    consumer: PHOTOS_CONSUMER,
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  })
  signer.getTimeStamp = () => opts.now ?? NOW
  const method = opts.method ?? 'GET'
  const url = opts.url ?? PHOTOS_URL
  // oauth-1.0a merges the URL's query into the object it is given: hand it a copy.
  const data = signer.authorize({ url, method, data: { ...opts.form } }, PHOTOS_TOKEN)
  const request: OAuthRequest = {
    method,
    url,
    authorization: signer.toHeader(data).Authorization,
    formBody: opts.form ? new URLSearchParams(opts.form).toString() : '',
  }
  return request
}

describe('verifyOAuthRequest', () => {
  it('accepts the RFC 5849 §1.2 protected-resource request exactly as printed', () => {
    const req: OAuthRequest = {
      method: 'GET',
      url: PHOTOS_URL,
      authorization:
        'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", ' +
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", oauth_nonce="chapoH", ' +
        'oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"',
      formBody: '',
    }
    const policy = photosPolicy({ nowSec: 137131202 })
    const outcome = verifyOAuthRequest(req, policy)
    expect(outcome).toMatchObject({ ok: true, consumerKey: PHOTOS_CONSUMER.key, token: PHOTOS_TOKEN.key })
    expect(verifyOAuthRequest(req, policy)).toMatchObject({ ok: false, status: 401, problem: 'nonce_used' })
  })

  it('accepts a form POST signed by oauth-1.0a, body included, and returns the non-OAuth params', () => {
    const form = { text: "Grüße * (it's) ~100% + more", to: '447700900000' }
    const outcome = verifyOAuthRequest(signedRequest({ method: 'POST', form }), photosPolicy())
    expect(outcome).toMatchObject({ ok: true })
    if (outcome.ok) expect(outcome.params).toContainEqual(['text', form.text])
  })

  it('detects a body changed after signing and reports its own base string', () => {
    const req = signedRequest({ method: 'POST', form: { to: '447700900000' } })
    const outcome = verifyOAuthRequest({ ...req, formBody: 'to=447700900001' }, photosPolicy())
    expect(outcome).toMatchObject({ ok: false, status: 401, problem: 'signature_invalid' })
    if (!outcome.ok) expect(outcome.extra.debug_sbs).toContain('to%3D447700900001')
  })

  it.each([
    ['a stale timestamp', { now: NOW - 301 }, {}, 401, 'timestamp_refused'],
    ['a future timestamp', { now: NOW + 301 }, {}, 401, 'timestamp_refused'],
    ['an unknown consumer', {}, { consumers: [{ key: 'other', secret: 'x' }] }, 401, 'consumer_key_unknown'],
    ['an unknown token', {}, { tokenSecret: () => undefined }, 401, 'token_rejected'],
    ['a token where none is allowed', {}, { tokenSecret: undefined }, 401, 'token_rejected'],
  ] as const)('refuses %s', (_name, signOpts, policy, status, problem) => {
    const outcome = verifyOAuthRequest(signedRequest(signOpts), photosPolicy(policy))
    expect(outcome).toMatchObject({ ok: false, status, problem })
  })

  it('names the absent parameters', () => {
    const req = { ...signedRequest(), authorization: 'OAuth oauth_consumer_key="dpf43f3p2l4k3l03"' }
    const outcome = verifyOAuthRequest(req, photosPolicy())
    expect(outcome).toMatchObject({ ok: false, status: 401, problem: 'parameter_absent' })
    if (!outcome.ok) {
      expect(outcome.extra.oauth_parameters_absent).toBe(
        'oauth_signature_method&oauth_signature&oauth_timestamp&oauth_nonce&oauth_token',
      )
    }
    expect(verifyOAuthRequest({ ...req, authorization: undefined }, photosPolicy())).toMatchObject({
      problem: 'parameter_absent',
    })
  })

  it('refuses OAuth parameters outside the header, duplicates, PLAINTEXT and unknown versions with 400', () => {
    const req = signedRequest()
    const header = req.authorization ?? ''
    const cases: Array<[OAuthRequest, string]> = [
      [{ ...req, url: PHOTOS_URL + '&oauth_nonce=x' }, 'parameter_rejected'],
      [{ ...req, formBody: 'oauth_token=x' }, 'parameter_rejected'],
      [{ ...req, authorization: header + ', oauth_nonce="again"' }, 'parameter_rejected'],
      [{ ...req, authorization: header.replace('HMAC-SHA1', 'PLAINTEXT') }, 'signature_method_rejected'],
      [
        { ...req, authorization: header.replace('oauth_version="1.0"', 'oauth_version="2.0"') },
        'version_rejected',
      ],
    ]
    for (const [bad, problem] of cases) {
      expect(verifyOAuthRequest(bad, photosPolicy())).toMatchObject({ ok: false, status: 400, problem })
    }
  })

  it('does not burn the nonce of a request whose signature failed', () => {
    const req = signedRequest()
    const policy = photosPolicy()
    const forged = {
      ...req,
      authorization: req.authorization?.replace(/oauth_signature="[^"]+"/, 'oauth_signature="AAAA"'),
    }
    expect(verifyOAuthRequest(forged, policy)).toMatchObject({ problem: 'signature_invalid' })
    expect(verifyOAuthRequest(req, policy).ok).toBe(true)
  })
})

describe('NonceStore', () => {
  it('scopes nonces to consumer and timestamp and forgets them once outside the window', () => {
    const store = new NonceStore()
    expect(store.claim('c', 100, 'n', 100, 10)).toBe(true)
    expect(store.claim('c', 100, 'n', 100, 10)).toBe(false)
    expect(store.claim('c', 101, 'n', 100, 10)).toBe(true)
    expect(store.claim('d', 100, 'n', 100, 10)).toBe(true)
    for (let i = 0; i < 300; i++) store.claim('c', 1000, `x${i}`, 1000, 10)
    // The four entries stamped 100/101 fell out of the window and were pruned.
    expect(store.size).toBe(300)
    expect(store.claim('c', 1000, 'x299', 1000, 10)).toBe(false)
  })
})
