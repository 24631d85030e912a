import { createHash } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startSandbox, TEST_SMS77_CLIENT, type RunningSandbox } from './helpers/sandbox-server.js'
import { basicAuth, SANDBOX_REDIRECT_URI, sms77Code } from './helpers/sandbox-sms77.js'

// PKCE (RFC 7636, S256 only as RFC 9700 §2.1.1 asks) at the emulated oauth.sms77.io.

let sb: RunningSandbox

beforeAll(async () => {
  sb = await startSandbox()
})
afterAll(() => sb.close())
beforeEach(() => {
  sb.control.reset()
  sb.control.options.sms77.requirePkce = false
})

const VERIFIER = 'v'.repeat(43) + '-._~0123456789'
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url')
const withChallenge = (verifier: string) => ({
  query: { code_challenge: s256(verifier), code_challenge_method: 'S256' },
})

async function exchange(code: string, verifier?: string) {
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: SANDBOX_REDIRECT_URI,
  })
  if (verifier !== undefined) form.set('code_verifier', verifier)
  const res = await fetch(`${sb.sms77OAuthUrl}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth() },
    body: form,
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

/** GET /authorize without following redirects: the status and, for a redirect, its query. */
async function authorizeRequest(query: Record<string, string>) {
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: TEST_SMS77_CLIENT.id,
    state: 'st-9',
    scope: 'balance',
    redirect_uri: SANDBOX_REDIRECT_URI,
    ...query,
  })
  const res = await fetch(`${sb.sms77OAuthUrl}/authorize?${q}`, { redirect: 'manual' })
  const location = res.headers.get('location')
  const params = location ? Object.fromEntries(new URL(location).searchParams) : undefined
  return { status: res.status, params }
}

const invalidGrant = (description: string) => ({
  status: 400,
  body: { error: 'invalid_grant', error_description: description },
})

describe('sms77 sandbox: PKCE at /token', () => {
  it('issues tokens for the matching S256 verifier, at both ends of the allowed length', async () => {
    for (const verifier of [VERIFIER, 'a'.repeat(43), '~'.repeat(128)]) {
      const code = await sms77Code(sb, 'balance', '12345', withChallenge(verifier))
      expect((await exchange(code, verifier)).status).toBe(200)
    }
  })

  it('answers invalid_grant to a wrong verifier and burns the code', async () => {
    const code = await sms77Code(sb, 'balance', '12345', withChallenge(VERIFIER))
    expect(await exchange(code, 'w'.repeat(43))).toEqual(
      invalidGrant('The PKCE code verifier parameter does not match the code challenge.'),
    )
    expect((await exchange(code, VERIFIER)).body.error).toBe('invalid_grant')
  })

  it('answers invalid_grant to a missing verifier', async () => {
    const code = await sms77Code(sb, 'balance', '12345', withChallenge(VERIFIER))
    expect(await exchange(code)).toEqual(invalidGrant('The PKCE code verifier parameter is required.'))
  })

  it('answers invalid_grant to a verifier outside RFC 7636 §4.1 syntax even when its hash matches', async () => {
    for (const verifier of ['a'.repeat(42), 'a'.repeat(129), 'a'.repeat(42) + '+', 'a'.repeat(42) + '/']) {
      const code = await sms77Code(sb, 'balance', '12345', withChallenge(verifier))
      expect(await exchange(code, verifier)).toEqual(
        invalidGrant('The PKCE code verifier parameter is invalid.'),
      )
    }
  })

  it('refuses a verifier for a code issued without a challenge (PKCE downgrade, RFC 9700 §4.8.2)', async () => {
    const code = await sms77Code(sb, 'balance')
    expect((await exchange(code, VERIFIER)).body.error).toBe('invalid_grant')
    expect((await exchange(await sms77Code(sb, 'balance'))).status).toBe(200)
  })
})

describe('sms77 sandbox: PKCE at /authorize', () => {
  it('refuses the plain method, a challenge without a method (plain by default) and a malformed challenge', async () => {
    const refusals: Array<[Record<string, string>, string]> = [
      [{ code_challenge: VERIFIER, code_challenge_method: 'plain' }, 'Code challenge method must be "S256"'],
      [{ code_challenge: VERIFIER }, 'Code challenge method must be "S256"'],
      [
        { code_challenge: s256(VERIFIER), code_challenge_method: 's256' },
        'Code challenge method must be "S256"',
      ],
      [
        { code_challenge: 'short', code_challenge_method: 'S256' },
        'The PKCE code challenge supplied is invalid',
      ],
    ]
    for (const [query, description] of refusals) {
      expect(await authorizeRequest(query)).toEqual({
        status: 302,
        params: { error: 'invalid_request', error_description: description, state: 'st-9' },
      })
    }
    expect(
      (await authorizeRequest({ code_challenge: s256(VERIFIER), code_challenge_method: 'S256' })).status,
    ).toBe(200)
  })

  it('with requirePkce, refuses an authorize request without a challenge and still takes one with it', async () => {
    expect((await authorizeRequest({})).status).toBe(200)
    sb.control.options.sms77.requirePkce = true
    expect(await authorizeRequest({})).toEqual({
      status: 302,
      params: {
        error: 'invalid_request',
        error_description: 'This client must send a PKCE code challenge (S256)',
        state: 'st-9',
      },
    })
    const code = await sms77Code(sb, 'balance', '12345', withChallenge(VERIFIER))
    expect((await exchange(code, VERIFIER)).status).toBe(200)
  })

  it('turns requirePkce on and off through the JSON control surface', async () => {
    const post = (body: unknown) =>
      fetch(`${sb.origin}/sandbox/_control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await post({ requirePkce: true })).status).toBe(200)
    expect(sb.control.options.sms77.requirePkce).toBe(true)
    expect((await authorizeRequest({})).params?.error).toBe('invalid_request')
    expect((await post({ requirePkce: false })).status).toBe(200)
    expect((await authorizeRequest({})).status).toBe(200)
    expect((await post({ requirePkce: 'yes' })).status).toBe(400)
  })
})
