import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startSandbox, TEST_SMS77_CLIENT, type RunningSandbox } from './helpers/sandbox-server.js'

// The OAuth 2.0 authorization-code flow against the emulated oauth.sms77.io, over real HTTP.

const REDIRECT_URI = 'http://127.0.0.1:9/oauth/sms77/callback'
const OTHER_CLIENT = { id: 'other client:1', secret: 'p@ss:w/rd+x' }
let sb: RunningSandbox

beforeAll(async () => {
  sb = await startSandbox()
  sb.control.options.sms77.clients.push(OTHER_CLIENT)
})
afterAll(() => sb.close())
beforeEach(() => {
  sb.control.reset()
  sb.control.options.sms77.codeTtlSec = 30
})

function basic(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+')
  return 'Basic ' + Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')
}

async function openConsent(query: Record<string, string>) {
  const params = {
    response_type: 'code',
    client_id: TEST_SMS77_CLIENT.id,
    state: 'st-1',
    redirect_uri: REDIRECT_URI,
    ...query,
  }
  const res = await fetch(`${sb.sms77OAuthUrl}/authorize?${new URLSearchParams(params)}`, {
    redirect: 'manual',
  })
  const html = await res.text()
  return { res, html, requestId: /name="request_id" value="([0-9a-f]+)"/.exec(html)?.[1] }
}

async function decide(requestId: string, decision: 'allow' | 'deny', account = '12345') {
  const body = new URLSearchParams({ request_id: requestId, decision, account })
  return fetch(`${sb.sms77OAuthUrl}/authorize`, { method: 'POST', body, redirect: 'manual' })
}

async function authorize(query: Record<string, string> = {}, account?: string): Promise<URL> {
  const { requestId } = await openConsent(query)
  const res = await decide(requestId ?? '', 'allow', account)
  expect(res.status).toBe(302)
  return new URL(res.headers.get('location') ?? '')
}

async function token(
  form: Record<string, string>,
  auth: string | null = basic(TEST_SMS77_CLIENT.id, TEST_SMS77_CLIENT.secret),
) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (auth) headers.authorization = auth
  const res = await fetch(`${sb.sms77OAuthUrl}/token`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  })
  return { res, body: (await res.json()) as Record<string, unknown> }
}

const exchange = (code: string, extra: Record<string, string> = {}, auth?: string | null) =>
  token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...extra }, auth)

describe('sms77 sandbox: authorize, consent and token exchange', () => {
  it('renders a consent page listing the scopes, three accounts, Allow and Deny', async () => {
    const consent = await openConsent({ scope: 'balance sms analytics' })
    expect(consent.res.status).toBe(200)
    expect(consent.html).toContain('<title>Authorize test-client – sms77 sandbox</title>')
    expect(consent.html).toContain('<code>analytics</code> Query statistics')
    expect(consent.html).toContain('<code>sms</code> Send SMS messages')
    expect(consent.html).not.toContain('<code>voice</code>')
    expect(consent.html).toMatch(/<button[^>]*value="allow"[^>]*>Allow<\/button>/)
    expect(consent.html).toMatch(/<button[^>]*value="deny"[^>]*>Deny<\/button>/)
    expect(consent.html.match(/name="account"/g)).toHaveLength(3)
    expect(consent.html).toContain('john.doe@acme.inc')
    expect(consent.html).not.toMatch(/<script|style=/)
    expect(consent.html).toContain('action="./authorize"')
    expect(consent.html).toContain('<link rel="stylesheet" href="assets/sms77.css">')
    const css = await fetch(`${sb.sms77OAuthUrl}/assets/sms77.css`)
    expect(css.headers.get('content-type')).toMatch(/^text\/css/)
    expect(await css.text()).toContain('button.allow')
  })

  it('escapes what the client sent into the consent page', async () => {
    sb.control.options.sms77.clients.push({ id: '<b>evil</b>', secret: 'x' })
    const consent = await openConsent({ client_id: '<b>evil</b>' })
    expect(consent.html).toContain('Authorize &lt;b&gt;evil&lt;/b&gt;')
    expect(consent.html).not.toContain('<b>evil</b>')
  })

  it('runs consent page → Allow → code → token (Basic) → /me → gateway', async () => {
    const state = 'a b&c=d/é?'
    const consent = await openConsent({ scope: 'balance sms analytics', state })
    const decided = await decide(consent.requestId ?? '', 'allow')
    expect(decided.status).toBe(302)
    const callback = new URL(decided.headers.get('location') ?? '')
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI)
    expect(callback.searchParams.get('state')).toBe(state)
    const code = callback.searchParams.get('code') ?? ''
    expect(code).toMatch(/^[0-9a-f]{40}$/)

    const { res, body } = await exchange(code)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(body).toEqual({
      access_token: expect.stringMatching(/^[0-9a-f]{40}$/),
      expires_in: 3600,
      token_type: 'Bearer',
      scope: 'balance sms analytics',
      refresh_token: expect.stringMatching(/^[0-9a-f]{40}$/),
    })
    const bearer = { authorization: `Bearer ${String(body.access_token)}` }

    const me = await fetch(`${sb.sms77OAuthUrl}/me`, { headers: bearer })
    expect(await me.json()).toEqual({
      success: true,
      user_id: 12345,
      email: 'john.doe@acme.inc',
      company: 'Acme Inc',
      alias: 'acme_inc',
      balance: '627.3615',
    })
    const balance = await fetch(`${sb.sms77ApiUrl}/balance`, {
      headers: { ...bearer, accept: 'application/json' },
    })
    expect(await balance.json()).toEqual({ amount: 627.3615, currency: 'EUR' })

    expect(sb.control.stats.sms77).toMatchObject({
      authorizeDecisions: 1,
      codeExchanges: 1,
      meCalls: 1,
      apiCalls: { balance: 1 },
      tokenClientAuth: { basic: 1 },
    })
  })

  it('signs in as the account chosen on the consent page', async () => {
    const code = (await authorize({}, '70518')).searchParams.get('code') ?? ''
    const { body } = await exchange(code)
    const me = await fetch(`${sb.sms77OAuthUrl}/me`, {
      headers: { authorization: `Bearer ${String(body.access_token)}` },
    })
    expect(await me.json()).toMatchObject({
      user_id: 70518,
      company: 'Blue Harbor Dental Ltd',
      balance: '1.2500',
    })
  })

  it('appends code and state to a redirect URI that already has a query', async () => {
    const location = await authorize({ redirect_uri: `${REDIRECT_URI}?tenant=7` })
    expect(location.search).toMatch(/^\?tenant=7&code=[0-9a-f]{40}&state=st-1$/)
  })

  it('sends Deny back as access_denied with the state', async () => {
    const { requestId } = await openConsent({ state: 'xyz' })
    const res = await decide(requestId ?? '', 'deny')
    const location = new URL(res.headers.get('location') ?? '')
    expect(Object.fromEntries(location.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'The user denied access to your application',
      state: 'xyz',
    })
    expect(sb.control.stats.sms77.authorizeDecisions).toBe(1)
  })

  it('shows an error page instead of redirecting for an unknown client or a bad redirect_uri', async () => {
    const queries: Array<Record<string, string>> = [
      { client_id: 'nobody' },
      { redirect_uri: '/relative/callback' },
      { redirect_uri: 'javascript:alert(1)' },
      { redirect_uri: `${REDIRECT_URI}#frag` },
      { redirect_uri: '' },
    ]
    for (const query of queries) {
      const { res, html } = await openConsent(query)
      expect(res.status, JSON.stringify(query)).toBe(400)
      expect(res.headers.get('location')).toBeNull()
      expect(html).toContain('sms77 sandbox')
    }
  })

  it('redirects with unsupported_response_type, invalid_scope, or a missing state', async () => {
    const errorOf = async (query: Record<string, string>) => {
      const { res } = await openConsent(query)
      expect(res.status).toBe(302)
      return Object.fromEntries(new URL(res.headers.get('location') ?? '').searchParams)
    }
    expect(await errorOf({ response_type: 'token' })).toMatchObject({
      error: 'unsupported_response_type',
      state: 'st-1',
    })
    expect(await errorOf({ scope: 'sms rcs' })).toEqual({
      error: 'invalid_scope',
      error_description: 'An unsupported scope was requested',
      state: 'st-1',
    })
    expect(await errorOf({ scope: 'sms,balance' })).toMatchObject({ error: 'invalid_scope' })
    expect(await errorOf({ state: '' })).toMatchObject({ error: 'invalid_request' })
  })

  it('grants the default scope "balance" when none is asked for', async () => {
    const consent = await openConsent({ scope: '' })
    expect(consent.html).toContain('<code>balance</code> Query balance')
    const res = await decide(consent.requestId ?? '', 'allow')
    const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? ''
    expect((await exchange(code)).body.scope).toBe('balance')
  })

  it('uses a consent request only once and refuses unknown request ids', async () => {
    const { requestId } = await openConsent({})
    expect((await decide(requestId ?? '', 'allow')).status).toBe(302)
    const again = await decide(requestId ?? '', 'allow')
    expect(again.status).toBe(400)
    expect(await again.text()).toContain('expired or was already used')
    expect((await decide('deadbeef', 'allow')).status).toBe(400)
  })
})

describe('sms77 sandbox: /token errors', () => {
  it('accepts a code once: the second use is invalid_grant', async () => {
    const code = (await authorize()).searchParams.get('code') ?? ''
    expect((await exchange(code)).res.status).toBe(200)
    const second = await exchange(code)
    expect(second.res.status).toBe(400)
    expect(second.res.headers.get('cache-control')).toBe('no-store')
    expect(second.body).toEqual({
      error: 'invalid_grant',
      error_description: "Authorization code doesn't exist or is invalid for the client",
    })
    expect(sb.control.stats.sms77.codeExchanges).toBe(1)
  })

  it('refuses an expired code', async () => {
    sb.control.options.sms77.codeTtlSec = 1
    const code = (await authorize()).searchParams.get('code') ?? ''
    await new Promise((r) => setTimeout(r, 1100))
    expect((await exchange(code)).body).toEqual({
      error: 'invalid_grant',
      error_description: 'The authorization code has expired',
    })
  })

  it('refuses a wrong client secret, by Basic or in the body, and a request without one', async () => {
    const code = (await authorize()).searchParams.get('code') ?? ''
    const wrong = await exchange(code, {}, basic(TEST_SMS77_CLIENT.id, 'nope'))
    expect(wrong.res.status).toBe(400)
    expect(wrong.body).toEqual({
      error: 'invalid_client',
      error_description: 'The client credentials are invalid',
    })
    const inBody = await exchange(code, { client_id: TEST_SMS77_CLIENT.id, client_secret: 'nope' }, null)
    expect(inBody.body.error).toBe('invalid_client')
    const none = await exchange(code, { client_id: TEST_SMS77_CLIENT.id }, null)
    expect(none.body.error).toBe('invalid_client')
    expect(sb.control.stats.sms77.tokenClientAuth).toEqual({ basic: 1, body: 1, none: 1 })
    // Client authentication failed before the code was looked at, so it still works.
    expect((await exchange(code)).res.status).toBe(200)
  })

  it('accepts client credentials in the body', async () => {
    const code = (await authorize()).searchParams.get('code') ?? ''
    const res = await exchange(
      code,
      { client_id: TEST_SMS77_CLIENT.id, client_secret: TEST_SMS77_CLIENT.secret },
      null,
    )
    expect(res.res.status).toBe(200)
    expect(sb.control.stats.sms77.tokenClientAuth).toEqual({ body: 1 })
  })

  it('URL-decodes Basic credentials (RFC 6749 §2.3.1)', async () => {
    const code = (await authorize({ client_id: OTHER_CLIENT.id })).searchParams.get('code') ?? ''
    const res = await exchange(code, {}, basic(OTHER_CLIENT.id, OTHER_CLIENT.secret))
    expect(res.res.status).toBe(200)
  })

  it("refuses another client's code and burns it", async () => {
    const code = (await authorize()).searchParams.get('code') ?? ''
    expect((await exchange(code, {}, basic(OTHER_CLIENT.id, OTHER_CLIENT.secret))).body.error).toBe(
      'invalid_grant',
    )
    expect((await exchange(code)).body.error).toBe('invalid_grant')
  })

  it('answers redirect_uri_mismatch for a different or missing redirect_uri, and burns the code', async () => {
    const code = (await authorize()).searchParams.get('code') ?? ''
    expect((await exchange(code, { redirect_uri: 'http://127.0.0.1:9/other' })).body).toEqual({
      error: 'redirect_uri_mismatch',
      error_description: 'The redirect URI is missing or do not match',
    })
    expect((await exchange(code)).body.error).toBe('invalid_grant')
    const code2 = (await authorize()).searchParams.get('code') ?? ''
    const { redirect_uri: _dropped, ...withoutUri } = {
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: '',
    }
    expect((await token(withoutUri)).body.error).toBe('redirect_uri_mismatch')
  })

  it('answers 405 invalid_request to a GET on /token', async () => {
    const res = await fetch(`${sb.sms77OAuthUrl}/token?grant_type=authorization_code`)
    expect(res.status).toBe(405)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request')
  })

  it('answers unsupported_grant_type and invalid_request for missing parameters', async () => {
    expect((await token({ grant_type: 'password' })).body).toEqual({
      error: 'unsupported_grant_type',
      error_description: 'Grant type "password" not supported',
    })
    expect((await token({})).body.error).toBe('invalid_request')
    expect((await token({ grant_type: 'authorization_code' })).body).toEqual({
      error: 'invalid_request',
      error_description: 'Missing parameter: "code" is required',
    })
  })
})
