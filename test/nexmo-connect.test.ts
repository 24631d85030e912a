import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import OAuth from 'oauth-1.0a'
import { csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { hmacSha1Signature, signatureBaseString } from '../src/sandbox/nexmo/oauth1-base-string.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'nexmo-connect', deps: { panelCacheTtlSec: 0 } })
})
afterAll(() => t.close())

async function begin(agent: Awaited<ReturnType<typeof signUp>>['agent']): Promise<string> {
  const res = await agent
    .post('/connect/nexmo')
    .type('form')
    .send({ _csrf: await csrfOf(agent) })
    .expect(303)
  return res.headers.location!
}

describe('connecting Nexmo over OAuth 1.0a', () => {
  it('completes the flow with signatures the sandbox verified, and shows the balance', async () => {
    const { agent, email } = await signUp(t.app)
    const failures = t.sandbox.control.stats.nexmo.signatureFailures
    const authorize = await begin(agent)
    expect(authorize).toMatch(new RegExp(`^${t.sandbox.nexmoOAuthUrl}/authorize\\?oauth_token=`))
    const consent = await pressConsent(authorize, 'Allow')
    expect(consent.location).toMatch(
      /^http:\/\/switchboard\.test\/connect\/nexmo\/callback\?oauth_token=.+&oauth_verifier=/,
    )
    await agent.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('10.17 EUR')
    expect(dash.text).toContain('Disconnect Nexmo')
    expect(t.sandbox.control.stats.nexmo.signatureFailures).toBe(failures)
    expect(t.sandbox.control.stats.nexmo.apiCalls['get-balance']).toBeGreaterThan(0)
    const user = (await t.services.users.findForLogin(email))!.user
    const stored = await t.services.store.get({ tenantId: user.tenantId, userId: user.id, provider: 'nexmo' })
    expect(stored?.grant.secrets.tokenSecret).toBeTruthy()
    expect(stored?.grant.expiresAt).toBeUndefined()
  })

  it('shows both providers side by side on one dashboard', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent, ['balance'])
    await connectNexmo(agent)
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text.match(/<span class="badge ok">connected<\/span>/g)).toHaveLength(2)
    expect(dash.text).toContain('john.doe@acme.inc')
    expect(dash.text).toContain('10.17 EUR')
  })

  it('shows a denial as a readable message and stores nothing', async () => {
    const { agent } = await signUp(t.app)
    const consent = await pressConsent(await begin(agent), 'Deny')
    expect(consent.location).toContain('denied=')
    await agent.get(pathOf(consent.location)).expect(303)
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('Access denied')
    expect(dash.text).toContain('Connect Nexmo')
  })

  it('refuses a callback whose token is not this session’s, and a replayed one', async () => {
    const victim = await signUp(t.app)
    const consent = await pressConsent(await begin(victim.agent), 'Allow')
    const attacker = await signUp(t.app)
    const accessTokens = t.sandbox.control.stats.nexmo.accessTokens
    await attacker.agent.get(pathOf(consent.location)).expect(400)
    expect(t.sandbox.control.stats.nexmo.accessTokens).toBe(accessTokens)
    const own = await pressConsent(await begin(attacker.agent), 'Allow')
    await attacker.agent.get(pathOf(own.location)).expect(303)
    await attacker.agent.get(pathOf(own.location)).expect(400)
    expect(t.sandbox.control.stats.nexmo.accessTokens).toBe(accessTokens + 1)
  })

  it('sends an SMS through the signed API and reports the result', async () => {
    const { agent } = await signUp(t.app)
    await connectNexmo(agent)
    const res = await agent
      .post('/connections/nexmo/sms')
      .type('form')
      .send({ _csrf: await csrfOf(agent), to: '+491701234567', text: 'Hello from the test', from: 'Acme' })
      .expect(303)
    expect(res.headers.location).toBe('/dashboard')
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toMatch(
      /Message sent to \+491701234567 with Nexmo \(id [^)]+\): 1 part, GSM-7, total cost 0\.0333 EUR\./,
    )
    expect(dash.text).toContain('10.14 EUR')
    const bad = await agent
      .post('/connections/nexmo/sms')
      .type('form')
      .send({ _csrf: await csrfOf(agent), to: '12', text: 'x' })
      .expect(303)
    expect(bad.headers.location).toBe('/dashboard')
    const again = (await agent.get('/dashboard')).text
    expect(again).toContain('Not sent: Check “To”: 12 is not a valid phone number')
    // The form keeps what was typed, beside it.
    expect(again).toMatch(/<textarea id="sms-text-nexmo"[^>]*>x<\/textarea>/)
    expect(again).toMatch(/id="sms-to-nexmo"[^>]* value="12"/)
  })

  it('turns a 401 from the API into needs reconnect (OAuth 1.0a tokens do not refresh)', async () => {
    const { agent, email } = await signUp(t.app)
    await connectNexmo(agent)
    t.sandbox.control.revokeNexmoAccessTokens()
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('needs reconnect')
    expect(dash.text).toContain('Reconnect Nexmo')
    const user = (await t.services.users.findForLogin(email))!.user
    expect(
      (await t.services.store.get({ tenantId: user.tenantId, userId: user.id, provider: 'nexmo' }))?.status,
    ).toBe('needs_reconnect')
  })
})

describe('RFC 5849 §1.2 example signature', () => {
  const consumer = { key: 'dpf43f3p2l4k3l03', secret: 'kd94hf93k423kf44' }
  const token = { key: 'nnch734d00sl2jdk', secret: 'pfkkdhi9sl3r4s00' }
  const url = 'http://photos.example.net/photos?file=vacation.jpg&size=original'

  it('is reproduced by the client signing library as the app configures it', () => {
    const oauth = new OAuth({
      consumer,
      signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
    })
    oauth.getNonce = () => 'kllo9940pd9333jh'
    oauth.getTimeStamp = () => 1191242096
    expect(oauth.authorize({ url, method: 'GET' }, token).oauth_signature).toBe(
      'tR3+Ty81lMeYAr/Fid0kMTYa/WM=',
    )
  })

  it('is reproduced by the sandbox’s own verifier', () => {
    const params: Array<[string, string]> = [
      ['oauth_consumer_key', consumer.key],
      ['oauth_token', token.key],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '1191242096'],
      ['oauth_nonce', 'kllo9940pd9333jh'],
      ['oauth_version', '1.0'],
    ]
    const base = signatureBaseString({ method: 'GET', url, params })
    expect(hmacSha1Signature(base, consumer.secret, token.secret)).toBe('tR3+Ty81lMeYAr/Fid0kMTYa/WM=')
  })
})
