import type { IncomingMessage } from 'node:http'
import { OAuth } from 'oauth'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { startSandbox, TEST_NEXMO_CONSUMER, type RunningSandbox } from './helpers/sandbox-server.js'

const CALLBACK = 'https://app.example/connect/nexmo/callback?tenant=acme%20co'
const AUTH_FAILED = { 'error-code': '401', 'error-code-label': 'authentication failed' }

let sb: RunningSandbox
beforeEach(async () => {
  sb = await startSandbox()
})
afterEach(async () => {
  vi.useRealTimers()
  await sb.close()
})

// --- the npm `oauth` library as an independent client, promisified ---------------------

function client(callback: string | null = CALLBACK, consumer = TEST_NEXMO_CONSUMER): OAuth {
  const base = sb.nexmoOAuthUrl
  return new OAuth(
    `${base}/request_token`,
    `${base}/access_token`,
    consumer.key,
    consumer.secret,
    '1.0A',
    callback,
    'HMAC-SHA1',
  )
}

interface Reply {
  status: number
  body: string
  headers: IncomingMessage['headers']
}

type Failure = { statusCode: number; data?: string }

function requestToken(oa: OAuth): Promise<{ token: string; secret: string; extra: Record<string, string> }> {
  return new Promise((resolve, reject) =>
    oa.getOAuthRequestToken((err, token, secret, extra) =>
      err ? reject(err) : resolve({ token, secret, extra }),
    ),
  )
}

function accessToken(oa: OAuth, token: string, secret: string, verifier: string) {
  return new Promise<{ token: string; secret: string }>((resolve, reject) =>
    oa.getOAuthAccessToken(token, secret, verifier, (err, t, s) =>
      err ? reject(err) : resolve({ token: t, secret: s }),
    ),
  )
}

function reply(resolve: (r: Reply) => void, reject: (e: unknown) => void) {
  return (err: Failure | null, data?: string | Buffer, res?: IncomingMessage) => {
    if (!res) return reject(err)
    resolve({ status: res.statusCode ?? 0, body: String(data ?? err?.data ?? ''), headers: res.headers })
  }
}

function signedGet(oa: OAuth, url: string, token: string, secret: string): Promise<Reply> {
  return new Promise((resolve, reject) => oa.get(url, token, secret, reply(resolve, reject) as never))
}

function signedPost(oa: OAuth, url: string, token: string, secret: string, form: Record<string, string>) {
  return new Promise<Reply>((resolve, reject) =>
    oa.post(url, token, secret, form, 'application/x-www-form-urlencoded', reply(resolve, reject) as never),
  )
}

// --- the browser part: consent page and decision ----------------------------------------

async function decide(token: string, decision: 'allow' | 'deny', account = 'harbourline'): Promise<Response> {
  const body = new URLSearchParams({ oauth_token: token, account, decision })
  return fetch(`${sb.nexmoOAuthUrl}/authorize`, { method: 'POST', body, redirect: 'manual' })
}

async function connect(oa = client(), account = 'harbourline') {
  const rt = await requestToken(oa)
  const location = new URL((await decide(rt.token, 'allow', account)).headers.get('location') ?? '')
  const verifier = location.searchParams.get('oauth_verifier') ?? ''
  const at = await accessToken(oa, rt.token, rt.secret, verifier)
  return { oa, rt, verifier, ...at }
}

const balanceUrl = () => `${sb.nexmoRestUrl}/account/get-balance`
const smsUrl = () => `${sb.nexmoRestUrl}/sms/json`

describe('Nexmo sandbox: the full OAuth 1.0a dance with the npm oauth library', () => {
  it('issues a request token, shows consent, exchanges the verifier, then serves balance and SMS', async () => {
    const oa = client()
    const rt = await requestToken(oa)
    expect(rt.extra).toEqual({ oauth_callback_confirmed: 'true' })
    expect(sb.control.stats.nexmo.requestTokens).toBe(1)

    const page = await fetch(`${sb.nexmoOAuthUrl}/authorize?oauth_token=${encodeURIComponent(rt.token)}`)
    const html = await page.text()
    expect(page.status).toBe(200)
    expect(html).toContain('<title>Authorize test-consumer – Nexmo sandbox</title>')
    expect(html).toContain('Sign in as')
    expect(html).toMatch(/<button[^>]*value="allow"[^>]*>Allow<\/button>/)
    expect(html).toMatch(/<button[^>]*value="deny"[^>]*>Deny<\/button>/)
    expect(html).toContain('action="./authorize"')
    expect(html).toContain('EUR 10.17127500')
    expect(html).not.toMatch(/<script|style=/i)

    const allowed = await decide(rt.token, 'allow')
    expect(allowed.status).toBe(302)
    const location = allowed.headers.get('location') ?? ''
    expect(location.startsWith(`${CALLBACK}&oauth_token=${rt.token}&oauth_verifier=`)).toBe(true)
    const verifier = new URL(location).searchParams.get('oauth_verifier') ?? ''

    const at = await accessToken(oa, rt.token, rt.secret, verifier)
    expect(at.token).not.toBe(rt.token)
    expect(sb.control.stats.nexmo.accessTokens).toBe(1)

    const balance = await signedGet(oa, balanceUrl(), at.token, at.secret)
    expect(balance.status).toBe(200)
    expect(balance.headers['content-type']).toMatch(/^application\/json/)
    expect(balance.body).toBe('{"value":10.17127500,"autoReload":false}')

    const sms = await signedPost(oa, smsUrl(), at.token, at.secret, {
      from: 'Switchboard',
      to: '447700900000',
      text: "Hi! Your code is 1234 (valid 5' *only*)",
      'client-ref': 'tenant-42',
    })
    expect(sms.status).toBe(200)
    const sent = JSON.parse(sms.body)
    expect(sent['message-count']).toBe('1')
    expect(sent.messages[0]).toMatchObject({
      to: '447700900000',
      status: '0',
      'remaining-balance': '10.13797500',
      'message-price': '0.03330000',
      network: '23410',
      'client-ref': 'tenant-42',
    })
    expect(sent.messages[0]['message-id']).toMatch(/^[0-9A-F]{16}$/)

    const after = await signedGet(oa, balanceUrl(), at.token, at.secret)
    expect(JSON.parse(after.body)).toEqual({ value: 10.137975, autoReload: false })
    expect(sb.control.stats.nexmo.apiCalls).toEqual({ 'get-balance': 2, sms: 1 })
    expect(sb.control.stats.nexmo.signatureFailures).toBe(0)
  })

  it('binds the access token to the chosen account', async () => {
    const { oa, token, secret } = await connect(client(), 'lindqvist')
    expect((await signedGet(oa, balanceUrl(), token, secret)).body).toBe(
      '{"value":42.50000000,"autoReload":false}',
    )
  })

  it('keeps the callback query and fragment intact when appending the verifier', async () => {
    const rt = await requestToken(client('http://127.0.0.1:9/cb?a=1&b=x%2By#done'))
    const location = (await decide(rt.token, 'allow')).headers.get('location') ?? ''
    expect(location).toMatch(
      new RegExp(
        `^http://127\\.0\\.0\\.1:9/cb\\?a=1&b=x%2By&oauth_token=${rt.token}&oauth_verifier=[\\w-]+#done$`,
      ),
    )
  })

  it('supports out-of-band (oob) clients by showing the verifier', async () => {
    const oa = client('oob')
    const rt = await requestToken(oa)
    const page = await decide(rt.token, 'allow')
    expect(page.status).toBe(200)
    const verifier = /id="oauth-verifier">([^<]+)</.exec(await page.text())?.[1] ?? ''
    const at = await accessToken(oa, rt.token, rt.secret, verifier)
    expect((await signedGet(oa, balanceUrl(), at.token, at.secret)).status).toBe(200)
  })
})

describe('Nexmo sandbox: what it refuses', () => {
  it('redirects a denial with denied=<request token> and kills that token', async () => {
    const oa = client()
    const rt = await requestToken(oa)
    const denied = await decide(rt.token, 'deny')
    expect(denied.status).toBe(302)
    expect(denied.headers.get('location')).toBe(`${CALLBACK}&denied=${rt.token}`)
    const again = await fetch(`${sb.nexmoOAuthUrl}/authorize?oauth_token=${rt.token}`)
    expect(again.status).toBe(400)
    await expect(accessToken(oa, rt.token, rt.secret, 'anything')).rejects.toMatchObject({
      statusCode: 401,
      data: expect.stringContaining('oauth_problem=token_rejected'),
    })
  })

  it('answers an unknown or expired request token on the consent page with 400', async () => {
    expect((await fetch(`${sb.nexmoOAuthUrl}/authorize?oauth_token=nope`)).status).toBe(400)
    const rt = await requestToken(client())
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 10 * 60 * 1000 + 1000)
    const page = await fetch(`${sb.nexmoOAuthUrl}/authorize?oauth_token=${rt.token}`)
    expect(page.status).toBe(400)
    expect(await page.text()).toContain('expired')
  })

  it('accepts each verifier once: a replayed exchange gets 401 token_rejected', async () => {
    const { oa, rt, verifier } = await connect()
    await expect(accessToken(oa, rt.token, rt.secret, verifier)).rejects.toMatchObject({
      statusCode: 401,
      data: expect.stringContaining('oauth_problem=token_rejected'),
    })
    expect(sb.control.stats.nexmo.accessTokens).toBe(1)
  })

  it('refuses a wrong verifier without consuming the request token', async () => {
    const oa = client()
    const rt = await requestToken(oa)
    const verifier = new URL(
      (await decide(rt.token, 'allow')).headers.get('location') ?? '',
    ).searchParams.get('oauth_verifier')
    await expect(accessToken(oa, rt.token, rt.secret, 'wrong')).rejects.toMatchObject({
      statusCode: 401,
      data: expect.stringContaining('oauth_problem=verifier_invalid'),
    })
    await expect(accessToken(oa, rt.token, rt.secret, verifier ?? '')).resolves.toHaveProperty('token')
  })

  it('refuses a tampered signature with 401 and counts it', async () => {
    const { oa, token, secret } = await connect()
    const header = oa.authHeader(balanceUrl(), token, secret, 'GET')
    const tampered = header.replace(
      /oauth_signature="([^"]+)"/,
      (_m, sig: string) => `oauth_signature="${sig.startsWith('A') ? 'B' : 'A'}${sig.slice(1)}"`,
    )
    expect(tampered).not.toBe(header)
    const before = sb.control.stats.nexmo.signatureFailures
    const res = await fetch(balanceUrl(), { headers: { Authorization: tampered } })
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual(AUTH_FAILED)
    expect(res.headers.get('www-authenticate')).toContain('oauth_problem="signature_invalid"')
    expect(sb.control.stats.nexmo.signatureFailures).toBe(before + 1)
  })

  it('refuses a replayed request (same nonce and timestamp) with 401 nonce_used', async () => {
    const { oa, token, secret } = await connect()
    const header = oa.authHeader(balanceUrl(), token, secret, 'GET')
    expect((await fetch(balanceUrl(), { headers: { Authorization: header } })).status).toBe(200)
    const replay = await fetch(balanceUrl(), { headers: { Authorization: header } })
    expect(replay.status).toBe(401)
    expect(replay.headers.get('www-authenticate')).toContain('oauth_problem="nonce_used"')
  })

  it('refuses a timestamp outside the window with 401 timestamp_refused', async () => {
    const { oa, token, secret } = await connect()
    const stale = oa as unknown as { _getTimestamp(): number }
    stale._getTimestamp = () => Math.floor(Date.now() / 1000) - 301
    const res = await signedGet(oa, balanceUrl(), token, secret)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toContain('oauth_problem="timestamp_refused"')
    await expect(requestToken(oa)).rejects.toMatchObject({
      statusCode: 401,
      data: expect.stringMatching(/oauth_problem=timestamp_refused&.*oauth_acceptable_timestamps=\d+-\d+/),
    })
  })

  it('answers 401 on the API once access tokens are revoked', async () => {
    const { oa, token, secret } = await connect()
    expect((await signedGet(oa, balanceUrl(), token, secret)).status).toBe(200)
    sb.control.revokeNexmoAccessTokens()
    const res = await signedGet(oa, balanceUrl(), token, secret)
    expect(res.status).toBe(401)
    expect(JSON.parse(res.body)).toEqual(AUTH_FAILED)
    expect(res.headers['www-authenticate']).toContain('oauth_problem="token_rejected"')
  })

  it('does not let another consumer use an access token', async () => {
    await sb.close()
    const other = { key: 'other-app', secret: 'other-secret' }
    sb = await startSandbox({ nexmo: { consumers: [TEST_NEXMO_CONSUMER, other], timestampWindowSec: 300 } })
    const { token, secret } = await connect()
    const res = await signedGet(client(CALLBACK, other), balanceUrl(), token, secret)
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toContain('oauth_problem="token_rejected"')
  })

  it('refuses an unknown consumer, a missing callback and a non-http callback', async () => {
    await expect(requestToken(client(CALLBACK, { key: 'who', secret: 'x' }))).rejects.toMatchObject({
      statusCode: 401,
      data: expect.stringContaining('oauth_problem=consumer_key_unknown'),
    })
    await expect(requestToken(client(null))).rejects.toMatchObject({
      statusCode: 401,
      data: expect.stringContaining('oauth_parameters_absent=oauth_callback'),
    })
    await expect(requestToken(client('javascript:alert(1)'))).rejects.toMatchObject({
      statusCode: 400,
      data: expect.stringContaining('oauth_problem=parameter_rejected'),
    })
    expect(sb.control.stats.nexmo.requestTokens).toBe(0)
  })

  it('refuses OAuth parameters sent in the query string (Nexmo supports the header only)', async () => {
    const { oa, token, secret } = await connect()
    const res = await fetch(oa.signUrl(balanceUrl(), token, secret, 'GET'))
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('oauth_problem="parameter_rejected"')
  })

  it('answers a bad "to" with status 3 inside an HTTP 200, without charging', async () => {
    const { oa, token, secret } = await connect()
    const res = await signedPost(oa, smsUrl(), token, secret, {
      from: 'Switchboard',
      to: '+44 7700',
      text: 'hi',
    })
    expect(res.status).toBe(200)
    const body = JSON.parse(res.body)
    expect(body['message-count']).toBe('1')
    expect(body.messages[0].status).toBe('3')
    expect(body.messages[0]['error-text']).toMatch(/to/)
    expect((await signedGet(oa, balanceUrl(), token, secret)).body).toContain('10.17127500')
  })
})
