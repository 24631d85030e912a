import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_URL, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { beginSms77, connectSms77 } from './helpers/flows.js'
import { keysUnder } from './helpers/redis.js'

let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ name: 'sms77-connect' })
})
afterAll(() => t.close())

describe('connecting sms77', () => {
  it('redirects to the authorize URL exactly as the seed gives it, with a fresh 32-byte state and PKCE S256', async () => {
    const { agent } = await signUp(t.app)
    const url = await beginSms77(agent, ['sms', 'analytics'])
    expect(url.origin + url.pathname).toBe(`${t.sandbox.sms77OAuthUrl}/authorize`)
    expect([...url.searchParams.keys()]).toEqual([
      'response_type',
      'client_id',
      'state',
      'scope',
      'redirect_uri',
      'code_challenge',
      'code_challenge_method',
    ])
    expect(url.searchParams.get('code_challenge_method')).toBe('S256')
    // SHA-256 in base64url: 43 characters, never the verifier itself.
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(url.searchParams.get('response_type')).toBe('code')
    expect(url.searchParams.get('client_id')).toBe('test-client')
    expect(url.searchParams.get('scope')).toBe('sms analytics')
    expect(url.search).toContain('scope=sms%20analytics')
    expect(url.searchParams.get('redirect_uri')).toBe(`${BASE_URL}/oauth_redirect`)
    expect(Buffer.from(url.searchParams.get('state')!, 'base64url')).toHaveLength(32)
    const again = await beginSms77(agent, ['sms'])
    expect(again.searchParams.get('state')).not.toBe(url.searchParams.get('state'))
    expect(again.searchParams.get('code_challenge')).not.toBe(url.searchParams.get('code_challenge'))
  })

  it('completes the whole flow: consent, Basic-auth code exchange, /me, encrypted storage, dashboard', async () => {
    const before = t.sandbox.control.stats.sms77.tokenClientAuth.basic ?? 0
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent)
    expect(t.sandbox.control.stats.sms77.tokenClientAuth.basic).toBe(before + 1)
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('john.doe@acme.inc')
    expect(dash.text).toContain('Acme Inc')
    expect(dash.text).toContain('acme_inc')
    expect(dash.text).toContain('12345')
    // The balance once (issue 16): in the Balance panel, not again among the profile's fields.
    expect(dash.text).toMatch(/class="stat-big">[\d.,]+ EUR/)
    expect(dash.text).not.toContain('Balance</dt>')
    expect(dash.text).toContain('<svg class="chart"')
    expect(dash.text).toContain('Disconnect sms77')
    expect(dash.text).toContain('Send SMS')
    // At rest: no token in clear anywhere under this app's prefix.
    const refreshTokens = t.sandbox.control.sms77RefreshTokens()
    expect(refreshTokens.length).toBeGreaterThan(0)
    for (const key of await keysUnder(t.prefix)) {
      const type = await t.redis.type(key)
      const dump =
        type === 'hash'
          ? JSON.stringify(await t.redis.hgetall(key))
          : type === 'string'
            ? await t.redis.get(key)
            : ''
      for (const rt of refreshTokens) expect(dump).not.toContain(rt)
    }
  })

  it('lets several tabs each run a flow and finishes the one that comes back', async () => {
    const { agent } = await signUp(t.app)
    const first = await beginSms77(agent, ['balance'])
    const second = await beginSms77(agent, ['balance', 'journal'])
    const consent = await pressConsent(first.toString(), 'Allow')
    await agent.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
    const consent2 = await pressConsent(second.toString(), 'Allow')
    await agent.get(pathOf(consent2.location)).expect(303).expect('location', '/dashboard')
  })

  it('shows a denial as "access denied" on the dashboard and stores nothing', async () => {
    const { agent } = await signUp(t.app)
    const url = await beginSms77(agent, ['balance'])
    const consent = await pressConsent(url.toString(), 'Deny')
    expect(consent.location).toContain('error=access_denied')
    await agent.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('Access denied')
    expect(dash.text).toContain('Connect sms77')
  })

  it('shows none of the provider’s error_description, escaped or not, and says what happened', async () => {
    const { agent } = await signUp(t.app)
    const url = await beginSms77(agent, ['balance'])
    const state = url.searchParams.get('state')!
    await agent
      .get(
        `/oauth_redirect?state=${state}&error=access_denied&error_description=${encodeURIComponent('<script>alert(1)</script>')}`,
      )
      .expect(303)
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).not.toContain('<script>alert(1)</script>')
    expect(dash.text).not.toContain('&lt;script&gt;alert(1)&lt;/script&gt;')
    expect(dash.text).toContain('Access denied: Deny was pressed at sms77, so nothing was connected.')
  })
})

describe('the callback refuses a bad state at once and exchanges nothing', () => {
  async function started() {
    const { agent } = await signUp(t.app)
    const url = await beginSms77(agent, ['balance'])
    const consent = await pressConsent(url.toString(), 'Allow')
    return { agent, callback: new URL(consent.location) }
  }

  it('missing state', async () => {
    const { agent, callback } = await started()
    const exchanges = t.sandbox.control.stats.sms77.codeExchanges
    await agent.get(`/oauth_redirect?code=${callback.searchParams.get('code')}`).expect(400)
    expect(t.sandbox.control.stats.sms77.codeExchanges).toBe(exchanges)
  })

  it('wrong state', async () => {
    const { agent, callback } = await started()
    const exchanges = t.sandbox.control.stats.sms77.codeExchanges
    const res = await agent
      .get(`/oauth_redirect?code=${callback.searchParams.get('code')}&state=${'A'.repeat(43)}`)
      .expect(400)
    expect(res.text).toContain('not valid for your session')
    expect(t.sandbox.control.stats.sms77.codeExchanges).toBe(exchanges)
  })

  it('replayed state', async () => {
    const { agent, callback } = await started()
    await agent.get(pathOf(callback.toString())).expect(303)
    const exchanges = t.sandbox.control.stats.sms77.codeExchanges
    await agent.get(pathOf(callback.toString())).expect(400)
    expect(t.sandbox.control.stats.sms77.codeExchanges).toBe(exchanges)
  })

  it('expired state', async () => {
    const { agent, callback } = await started()
    for (const key of (await keysUnder(t.prefix)).filter((k) => k.startsWith('flow:'))) await t.redis.del(key)
    const exchanges = t.sandbox.control.stats.sms77.codeExchanges
    await agent.get(pathOf(callback.toString())).expect(400)
    expect(t.sandbox.control.stats.sms77.codeExchanges).toBe(exchanges)
  })

  it('state from another session, even of the same user', async () => {
    const { agent, callback } = await started()
    const other = await signUp(t.app)
    const exchanges = t.sandbox.control.stats.sms77.codeExchanges
    await other.agent.get(pathOf(callback.toString())).expect(400)
    expect(t.sandbox.control.stats.sms77.codeExchanges).toBe(exchanges)
    const dash = await other.agent.get('/dashboard').expect(200)
    expect(dash.text).not.toContain('john.doe@acme.inc')
    // Consumed on first use, whoever used it.
    await agent.get(pathOf(callback.toString())).expect(400)
  })

  it('arrays and oversized values are a 400, never a 500', async () => {
    const { agent, callback } = await started()
    const state = callback.searchParams.get('state')!
    await agent.get(`/oauth_redirect?state=${state}&state=${state}&code=x`).expect(400)
    await agent.get(`/oauth_redirect?state=${state}&code=${'x'.repeat(5000)}`).expect(400)
    await agent.get(`/oauth_redirect?state=${state}&code[a]=1`).expect(400)
  })
})

describe('a malformed token response', () => {
  let server: http.Server
  let url: string
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/token') {
        res.setHeader('content-type', 'application/json')
        res.end('{"access_token": 42, "token_type": "Bearer"}')
      } else res.writeHead(404).end()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('is a readable 502 page and stores no connection', async () => {
    const bad = await startTestApp({
      name: 'sms77-badtoken',
      env: { SMS77_OAUTH_URL: url },
      sandbox: t.sandbox,
    })
    try {
      const { agent } = await signUp(bad.app)
      const authorize = await beginSms77(agent, ['balance'])
      const res = await agent
        .get(`/oauth_redirect?state=${authorize.searchParams.get('state')}&code=abc`)
        .expect(502)
      expect(res.text).toContain('could not use')
      expect((await keysUnder(bad.prefix)).some((k) => k.includes(':conn:'))).toBe(false)
    } finally {
      await bad.close()
    }
  })
})
