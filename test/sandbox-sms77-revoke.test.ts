import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { tokenFingerprint } from '../src/sandbox/index.js'
import { startSandbox, TEST_SMS77_CLIENT, type RunningSandbox } from './helpers/sandbox-server.js'
import { basicAuth, sms77Tokens, type Sms77Client, type Sms77Tokens } from './helpers/sandbox-sms77.js'

// RFC 7009 token revocation at the emulated oauth.sms77.io, over real HTTP.

const OTHER: Sms77Client = { id: 'other', secret: 'other-secret' }
let sb: RunningSandbox

beforeAll(async () => {
  sb = await startSandbox()
  sb.control.options.sms77.clients.push(OTHER)
})
afterAll(() => sb.close())
beforeEach(() => {
  sb.control.reset()
  sb.control.revokeSms77RefreshTokens()
  sb.control.options.sms77.refreshGraceSec = 0
})

async function revoke(form: Record<string, string>, auth: string | null = basicAuth()) {
  const headers: Record<string, string> = {}
  if (auth) headers.authorization = auth
  const res = await fetch(`${sb.sms77OAuthUrl}/revoke`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  })
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> }
}

async function refresh(refreshToken: string, client = TEST_SMS77_CLIENT) {
  const res = await fetch(`${sb.sms77OAuthUrl}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(client) },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  })
  return { status: res.status, body: (await res.json()) as Sms77Tokens & { error?: string } }
}

const meStatus = async (accessToken: string) =>
  (await fetch(`${sb.sms77OAuthUrl}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status

async function gateway(accessToken: string) {
  const res = await fetch(`${sb.sms77ApiUrl}/balance`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  return [res.status, await res.text()]
}

describe('sms77 sandbox: POST /revoke with a refresh token', () => {
  it('ends the grant: its refresh token and every access token issued from it', async () => {
    const first = await sms77Tokens(sb, 'balance')
    const rotated = (await refresh(first.refresh_token)).body
    const unrelated = await sms77Tokens(sb, 'balance')
    const res = await revoke({ token: rotated.refresh_token, token_type_hint: 'refresh_token' })
    expect([res.status, res.body]).toEqual([200, { revoked: true }])
    expect(res.headers.get('cache-control')).toBe('no-store')
    for (const access of [first.access_token, rotated.access_token]) {
      expect(await meStatus(access)).toBe(401)
      expect(await gateway(access)).toEqual([401, '900'])
    }
    expect((await refresh(rotated.refresh_token)).body.error).toBe('invalid_grant')
    expect(await meStatus(unrelated.access_token)).toBe(200)
    expect((await refresh(unrelated.refresh_token)).status).toBe(200)
    expect(sb.control.sms77Revocations()).toEqual([
      {
        clientId: TEST_SMS77_CLIENT.id,
        clientAuth: 'basic',
        tokenKind: 'refresh_token',
        hint: 'refresh_token',
        outcome: 'revoked',
        userId: 12345,
        tokenSha256: tokenFingerprint(rotated.refresh_token),
        at: expect.any(Number) as number,
      },
    ])
  })

  it('answers 200 and changes nothing for unknown, already revoked and rotated-out tokens', async () => {
    const t = await sms77Tokens(sb, 'balance')
    const rotated = (await refresh(t.refresh_token)).body
    expect((await revoke({ token: t.refresh_token })).status).toBe(200)
    expect(await meStatus(rotated.access_token)).toBe(200)
    expect((await revoke({ token: rotated.refresh_token })).status).toBe(200)
    expect((await revoke({ token: rotated.refresh_token })).status).toBe(200)
    expect((await revoke({ token: 'f'.repeat(40) })).status).toBe(200)
    expect(sb.control.sms77Revocations().map((r) => [r.tokenKind, r.outcome, r.hint])).toEqual([
      ['unknown', 'inactive', undefined],
      ['refresh_token', 'revoked', undefined],
      ['unknown', 'inactive', undefined],
      ['unknown', 'inactive', undefined],
    ])
  })

  it('revokes a rotated-out token still inside refreshGraceSec, and with it the grant', async () => {
    sb.control.options.sms77.refreshGraceSec = 30
    const t = await sms77Tokens(sb, 'balance')
    const rotated = (await refresh(t.refresh_token)).body
    expect((await revoke({ token: t.refresh_token })).status).toBe(200)
    expect((await refresh(rotated.refresh_token)).body.error).toBe('invalid_grant')
  })

  it('searches every kind of token whatever the hint says, and ignores unknown hints', async () => {
    const a = await sms77Tokens(sb, 'balance')
    const b = await sms77Tokens(sb, 'balance')
    expect((await revoke({ token: a.refresh_token, token_type_hint: 'access_token' })).status).toBe(200)
    expect((await revoke({ token: b.refresh_token, token_type_hint: 'id_token' })).status).toBe(200)
    expect(sb.control.sms77RefreshTokens()).toEqual([])
    expect(sb.control.sms77Revocations().map((r) => [r.tokenKind, r.hint])).toEqual([
      ['refresh_token', 'access_token'],
      ['refresh_token', undefined],
    ])
  })
})

describe('sms77 sandbox: POST /revoke with an access token', () => {
  it('ends that access token only; the refresh token still works', async () => {
    const t = await sms77Tokens(sb, 'balance')
    const res = await revoke({ token: t.access_token, token_type_hint: 'access_token' })
    expect(res.status).toBe(200)
    expect(await meStatus(t.access_token)).toBe(401)
    expect(await gateway(t.access_token)).toEqual([401, '900'])
    const next = await refresh(t.refresh_token)
    expect(next.status).toBe(200)
    expect(await meStatus(next.body.access_token)).toBe(200)
    expect(sb.control.sms77Revocations()[0]).toMatchObject({ tokenKind: 'access_token', outcome: 'revoked' })
  })

  it('treats an expired access token as already invalid', async () => {
    const t = await sms77Tokens(sb, 'balance')
    sb.control.expireSms77AccessTokens()
    expect((await revoke({ token: t.access_token })).status).toBe(200)
    expect(sb.control.sms77Revocations()[0]).toMatchObject({ tokenKind: 'unknown', outcome: 'inactive' })
  })
})

describe('sms77 sandbox: POST /revoke refusals', () => {
  it("refuses another client's token with 400 unauthorized_client and leaves it working (RFC 7009 §2.1)", async () => {
    const t = await sms77Tokens(sb, 'balance')
    const res = await revoke({ token: t.refresh_token }, basicAuth(OTHER))
    expect([res.status, res.body]).toEqual([
      400,
      { error: 'unauthorized_client', error_description: 'The token was not issued to this client' },
    ])
    expect((await revoke({ token: t.access_token }, basicAuth(OTHER))).status).toBe(400)
    expect(await meStatus(t.access_token)).toBe(200)
    expect((await refresh(t.refresh_token)).status).toBe(200)
    expect(sb.control.sms77Revocations().map((r) => [r.clientId, r.tokenKind, r.outcome])).toEqual([
      ['other', 'refresh_token', 'refused'],
      ['other', 'access_token', 'refused'],
    ])
  })

  it('answers 401 invalid_client with a Basic challenge for a wrong or missing client, and revokes nothing', async () => {
    const t = await sms77Tokens(sb, 'balance')
    const wrong = await revoke(
      { token: t.refresh_token },
      basicAuth({ id: TEST_SMS77_CLIENT.id, secret: 'x' }),
    )
    expect([wrong.status, wrong.body]).toEqual([
      401,
      { error: 'invalid_client', error_description: 'The client credentials are invalid' },
    ])
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="Service"')
    expect((await revoke({ token: t.refresh_token }, null)).status).toBe(401)
    const idOnly = await revoke({ token: t.refresh_token, client_id: TEST_SMS77_CLIENT.id }, null)
    expect([idOnly.status, idOnly.body.error]).toEqual([401, 'invalid_client'])
    expect((await refresh(t.refresh_token)).status).toBe(200)
    expect(sb.control.sms77Revocations()).toEqual([])
  })

  it('accepts client credentials in the body too, and records how the client authenticated', async () => {
    const t = await sms77Tokens(sb, 'balance')
    const form = {
      token: t.refresh_token,
      client_id: TEST_SMS77_CLIENT.id,
      client_secret: TEST_SMS77_CLIENT.secret,
    }
    expect((await revoke(form, null)).status).toBe(200)
    expect(sb.control.sms77Revocations()[0]).toMatchObject({ clientAuth: 'body', outcome: 'revoked' })
  })

  it('answers 400 invalid_request without a token and 405 to a GET', async () => {
    expect(await revoke({})).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing token parameter to revoke' },
    })
    const get = await fetch(`${sb.sms77OAuthUrl}/revoke?token=x`)
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST'])
  })

  it('revokeFails answers 503 and revokes nothing', async () => {
    const t = await sms77Tokens(sb, 'balance')
    sb.control.setFaults({ revokeFails: true })
    expect(await revoke({ token: t.refresh_token })).toMatchObject({
      status: 503,
      body: { error: 'temporarily_unavailable' },
    })
    sb.control.setFaults({ revokeFails: false })
    expect((await refresh(t.refresh_token)).status).toBe(200)
  })
})

describe('sms77 sandbox: revocation records', () => {
  it('are on the JSON control surface, without the token itself, and cleared by reset', async () => {
    const t = await sms77Tokens(sb, 'balance')
    await revoke({ token: t.refresh_token })
    const raw = await (await fetch(`${sb.origin}/sandbox/_control`)).text()
    const control = JSON.parse(raw) as { stats: { sms77: { revocations: unknown[] } } }
    expect(control.stats.sms77.revocations).toHaveLength(1)
    expect(raw).not.toContain(t.refresh_token)
    expect(JSON.stringify(sb.control.sms77Revocations())).not.toContain(t.refresh_token)
    sb.control.reset()
    expect(sb.control.sms77Revocations()).toEqual([])
  })
})
