import { createHash, randomBytes } from 'node:crypto'
import supertest from 'supertest'
import { fetch } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_URL, csrfFrom, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { signInAtIdp, startIdp, type RunningIdp, saveSso } from './helpers/oidc-idp.js'

// Real ID tokens from a real oidc-provider on loopback reach /sso/callback, and our own
// validation (openid-client, then the app's checks) refuses them: the identity provider is
// made to answer the app's token request with a token it issued to another client, or
// issues one whose email it has not verified.

const REDIRECT = `${BASE_URL}/sso/callback`
const CLIENT = {
  clientId: 'switchboard-tokens',
  clientSecret: 'tokens-secret-5d2e',
  redirectUris: [REDIRECT],
}
const OTHER = { clientId: 'other-tokens-app', clientSecret: 'other-secret-8c41', redirectUris: [REDIRECT] }
const D = 'tokens-sso.test'

let t: TestApp
let idp: RunningIdp
/** When set, the identity provider answers the next token request with this ID token instead. */
let swapIn: string | undefined
/** Every ID token the identity provider's token endpoint sent, after any swap. */
const sent: string[] = []

const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>

beforeAll(async () => {
  idp = await startIdp({
    clients: [CLIENT, OTHER],
    people: [
      { id: 'ada', name: 'Ada', email: `ada@${D}`, emailVerified: true },
      { id: 'una', name: 'Una', email: `una@${D}`, emailVerified: false },
    ],
  })
  idp.provider.use(async (ctx, next) => {
    await next()
    if (ctx.oidc?.route !== 'token' || ctx.status !== 200) return
    const body = ctx.body as { id_token?: string }
    if (swapIn) {
      ctx.body = { ...body, id_token: swapIn }
      swapIn = undefined
    }
    const idToken = (ctx.body as { id_token?: string }).id_token
    if (idToken) sent.push(idToken)
  })
  t = await startTestApp({ name: 'signin-sso-tokens' })
  const admin = await signUp(t.app, 'Tokens SSO', `boss@${D}`)
  await saveSso(admin.agent, {
    issuer: idp.issuer,
    clientId: CLIENT.clientId,
    clientSecret: CLIENT.clientSecret,
    domains: D,
  })
})
afterAll(async () => {
  await t?.close()
  await idp?.close()
})

/** Continue with single sign-on as the app's browser; the authorization URL it was sent to. */
async function startSso(email: string) {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login').expect(200)
  const res = await agent
    .post('/login/sso')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email })
    .expect(303)
  return { agent, auth: new URL(res.headers.location!) }
}

/** A complete code flow of another client at the same provider: its real ID token. */
async function idTokenOf(client: typeof OTHER, personId: string, nonce: string): Promise<string> {
  const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as {
    authorization_endpoint: string
    token_endpoint: string
  }
  const verifier = randomBytes(32).toString('base64url')
  const auth = new URL(meta.authorization_endpoint)
  auth.search = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    scope: 'openid email profile',
    redirect_uri: REDIRECT,
    state: 'another-app-state',
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString()
  const back = await signInAtIdp(auth.href, personId)
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: back.searchParams.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    }).toString(),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as { id_token: string }).id_token
}

const refusals = () => t.logs.filter((l) => l.includes('single sign-on refused'))

describe('ID tokens the app itself refuses', () => {
  it("refuses a real ID token issued to another client (wrong audience), by the app's own aud check", async () => {
    const { agent, auth } = await startSso(`ada@${D}`)
    const nonce = auth.searchParams.get('nonce')!
    const foreign = await idTokenOf(OTHER, 'ada', nonce)
    // Everything else is right: the issuer, the signature, the person, the app's nonce.
    expect(claimsOf(foreign)).toMatchObject({ aud: OTHER.clientId, iss: idp.issuer, nonce, sub: 'ada' })
    swapIn = foreign
    const back = await signInAtIdp(auth.href, 'ada')
    const before = refusals().length
    const res = await agent.get(back.pathname + back.search)
    expect(swapIn).toBeUndefined() // the app's token request did get the foreign token
    expect(sent.at(-1)).toBe(foreign)
    expect(res.status).toBe(400)
    expect(res.text).toContain('could not be verified')
    expect(res.text).not.toContain(CLIENT.clientSecret)
    expect(res.text).not.toContain(foreign)
    const logged = refusals().slice(before).join('\n')
    expect(logged).toMatch(/"reason":"token"/)
    expect(logged).toContain(String.raw`unexpected JWT \"aud\" (audience) claim value`)
    await agent.get('/dashboard').expect(303).expect('Location', '/login')
    expect(await t.services.users.findForLogin(`ada@${D}`)).toBeNull()

    // The same flow with the provider's own answer signs Ada in: only the audience was wrong.
    const again = await startSso(`ada@${D}`)
    const ok = await signInAtIdp(again.auth.href, 'ada')
    const signedIn = await again.agent.get(ok.pathname + ok.search)
    expect([signedIn.status, signedIn.headers.location]).toEqual([303, '/dashboard'])
    expect(claimsOf(sent.at(-1)!).aud).toBe(CLIENT.clientId)
  })

  it('refuses a valid ID token that says email_verified: false', async () => {
    const { agent, auth } = await startSso(`una@${D}`)
    const back = await signInAtIdp(auth.href, 'una')
    const res = await agent.get(back.pathname + back.search)
    // The token itself passed openid-client (right audience, nonce, signature) ...
    expect(claimsOf(sent.at(-1)!)).toMatchObject({
      aud: CLIENT.clientId,
      email: `una@${D}`,
      email_verified: false,
      nonce: auth.searchParams.get('nonce'),
    })
    // ... and the app refused it for the unverified email.
    expect(res.status).toBe(403)
    expect(res.text).toContain('not verified')
    expect(await t.services.users.findForLogin(`una@${D}`)).toBeNull()
    const audit = await t.services.audit.page('tokens-sso', 20)
    expect(
      audit.entries.some(
        (e) =>
          e.action === 'signin.sso_refused' &&
          e.actorEmail === `una@${D}` &&
          e.detail.startsWith('unverified '),
      ),
    ).toBe(true)
    await agent.get('/dashboard').expect(303)
  })
})
