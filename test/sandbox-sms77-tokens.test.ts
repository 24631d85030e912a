import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startSandbox, TEST_SMS77_CLIENT, type RunningSandbox } from './helpers/sandbox-server.js'
import { sms77Code, SANDBOX_REDIRECT_URI } from './helpers/sandbox-sms77.js'

// Refresh rotation, expiry, revocation, scopes and fault injection of the sms77 sandbox.

const REDIRECT_URI = SANDBOX_REDIRECT_URI
const BASIC = 'Basic ' + Buffer.from(`${TEST_SMS77_CLIENT.id}:${TEST_SMS77_CLIENT.secret}`).toString('base64')
let sb: RunningSandbox

interface Tokens {
  access_token: string
  refresh_token: string
  expires_in: number
  scope: string
}

beforeAll(async () => {
  sb = await startSandbox()
  sb.control.options.sms77.clients.push({ id: 'second', secret: 'second-secret' })
})
afterAll(() => sb.close())
beforeEach(() => {
  sb.control.reset()
  // reset() clears stats and faults only; tokens live on, so start each test from none.
  sb.control.revokeSms77RefreshTokens()
  Object.assign(sb.control.options.sms77, { accessTokenTtlSec: 3600, refreshGraceSec: 0 })
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function postToken(form: Record<string, string>, auth = BASIC) {
  const res = await fetch(`${sb.sms77OAuthUrl}/token`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

async function connect(scope = 'balance sms analytics'): Promise<Tokens> {
  const code = await sms77Code(sb, scope)
  const { status, body } = await postToken({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
  })
  expect(status).toBe(200)
  return body as unknown as Tokens
}

const refresh = (refreshToken: string, auth = BASIC) =>
  postToken({ grant_type: 'refresh_token', refresh_token: refreshToken }, auth)

const gateway = (path: string, accessToken: string, headers: Record<string, string> = {}) =>
  fetch(`${sb.sms77ApiUrl}${path}`, { headers: { authorization: `Bearer ${accessToken}`, ...headers } })

const me = (accessToken: string) =>
  fetch(`${sb.sms77OAuthUrl}/me`, { headers: { authorization: `Bearer ${accessToken}` } })

describe('sms77 sandbox: refresh tokens', () => {
  it('rotates: new pair works, the old refresh token is rejected', async () => {
    const first = await connect()
    expect(sb.control.sms77RefreshTokens()).toEqual([first.refresh_token])
    const next = await refresh(first.refresh_token)
    expect(next.status).toBe(200)
    const rotated = next.body as unknown as Tokens
    expect(rotated.refresh_token).not.toBe(first.refresh_token)
    expect(rotated.access_token).not.toBe(first.access_token)
    expect(rotated.scope).toBe('balance sms analytics')
    expect(sb.control.sms77RefreshTokens()).toEqual([rotated.refresh_token])
    expect((await refresh(first.refresh_token)).body).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid refresh token',
    })
    expect((await refresh(rotated.refresh_token)).status).toBe(200)
    expect((await gateway('/balance', rotated.access_token)).status).toBe(200)
    expect(sb.control.stats.sms77).toMatchObject({ refreshes: 2, refreshFailures: 1 })
  })

  it("refuses another client's refresh token", async () => {
    const first = await connect()
    const other = 'Basic ' + Buffer.from('second:second-secret').toString('base64')
    expect((await refresh(first.refresh_token, other)).body.error).toBe('invalid_grant')
  })

  it('lets a rotated-out token answer with the newest pair during refreshGraceSec, then refuses it', async () => {
    sb.control.options.sms77.refreshGraceSec = 1
    const first = await connect()
    const rotated = (await refresh(first.refresh_token)).body
    const replay = await refresh(first.refresh_token)
    expect(replay.status).toBe(200)
    expect(replay.body.refresh_token).toBe(rotated.refresh_token)
    expect(replay.body.access_token).toBe(rotated.access_token)
    expect(sb.control.sms77RefreshTokens()).toEqual([rotated.refresh_token])
    await sleep(1100)
    expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant')
    expect((await refresh(String(rotated.refresh_token))).status).toBe(200)
  })

  it('refuses every refresh token after revokeRefreshTokens()', async () => {
    const first = await connect()
    sb.control.revokeSms77RefreshTokens()
    expect(sb.control.sms77RefreshTokens()).toEqual([])
    expect((await refresh(first.refresh_token)).body.error).toBe('invalid_grant')
    expect(sb.control.stats.sms77.refreshFailures).toBe(1)
  })

  it('can narrow the scope on refresh but never widen it', async () => {
    const first = await connect()
    expect(
      (await postToken({ grant_type: 'refresh_token', refresh_token: first.refresh_token, scope: 'voice' }))
        .body.error,
    ).toBe('invalid_scope')
    const narrowed = await postToken({
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
      scope: 'balance',
    })
    expect(narrowed.body.scope).toBe('balance')
  })
})

describe('sms77 sandbox: access tokens', () => {
  it('after expireAccessTokens(): gateway 401 `900`, /me 401 invalid_token "has expired"; a refresh fixes it', async () => {
    const t = await connect()
    sb.control.expireSms77AccessTokens()
    const text = await gateway('/balance', t.access_token)
    expect(text.status).toBe(401)
    expect(await text.text()).toBe('900')
    const json = await gateway('/balance', t.access_token, { accept: 'application/json' })
    expect(json.status).toBe(401)
    expect(await json.json()).toBe('900')
    const profile = await me(t.access_token)
    expect(profile.status).toBe(401)
    expect(profile.headers.get('www-authenticate')).toBe('Bearer realm="Service", error="invalid_token"')
    expect(await profile.json()).toEqual({
      error: 'invalid_token',
      error_description: 'The access token provided has expired',
    })
    const fresh = (await refresh(t.refresh_token)).body as unknown as Tokens
    expect((await gateway('/balance', fresh.access_token)).status).toBe(200)
  })

  it('honours accessTokenTtlSec at run time', async () => {
    sb.control.options.sms77.accessTokenTtlSec = 1
    const t = await connect()
    expect(t.expires_in).toBe(1)
    expect((await gateway('/balance', t.access_token)).status).toBe(200)
    await sleep(1100)
    expect((await gateway('/balance', t.access_token)).status).toBe(401)
  })

  it('calls unknown or missing tokens invalid', async () => {
    expect(await (await me('0'.repeat(40))).json()).toEqual({
      error: 'invalid_token',
      error_description: 'The access token provided is invalid',
    })
    const bare = await fetch(`${sb.sms77OAuthUrl}/me`)
    expect(bare.status).toBe(401)
    const api = await fetch(`${sb.sms77ApiUrl}/balance`)
    expect([api.status, await api.text()]).toEqual([401, '900'])
  })

  it('answers 403 `902` for an endpoint outside the granted scopes', async () => {
    const t = await connect('balance')
    const res = await gateway('/journal?type=outbound', t.access_token)
    expect([res.status, await res.text()]).toEqual([403, '902'])
    expect((await gateway('/balance', t.access_token)).status).toBe(200)
    expect(sb.control.stats.sms77.apiCalls).toEqual({ journal: 1, balance: 1 })
  })
})

describe('sms77 sandbox: faults', () => {
  it('tokenFails answers 500 server_error without consuming the code; tokenLatencyMs delays', async () => {
    const code = await sms77Code(sb, 'balance')
    sb.control.setFaults({ tokenFails: true })
    const failed = await postToken({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI })
    expect(failed).toEqual({ status: 500, body: { error: 'server_error' } })
    sb.control.setFaults({ tokenFails: false, tokenLatencyMs: 250 })
    const started = Date.now()
    const ok = await postToken({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI })
    expect(ok.status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(240)
  })

  it('apiFails answers 500 on the gateway and /me', async () => {
    const t = await connect()
    sb.control.setFaults({ apiFails: true })
    expect((await gateway('/balance', t.access_token)).status).toBe(500)
    expect((await me(t.access_token)).status).toBe(500)
    expect(sb.control.stats.sms77).toMatchObject({ meCalls: 1, apiCalls: { balance: 1 } })
  })

  it('apiMalformed answers 200 with a JSON body that does not parse', async () => {
    const t = await connect()
    sb.control.setFaults({ apiMalformed: true })
    const res = await gateway('/balance', t.access_token, { accept: 'application/json' })
    expect(res.status).toBe(200)
    const body = await res.text()
    expect(body).toBe('{"amount":')
    expect(() => JSON.parse(body)).toThrow()
  })

  it('apiHangs never answers, and apiLatencyMs delays the answer', async () => {
    const t = await connect()
    sb.control.setFaults({ apiHangs: true })
    await expect(
      fetch(`${sb.sms77ApiUrl}/balance`, {
        headers: { authorization: `Bearer ${t.access_token}` },
        signal: AbortSignal.timeout(300),
      }),
    ).rejects.toThrow()
    sb.control.setFaults({ apiHangs: false, apiLatencyMs: 200 })
    const started = Date.now()
    expect((await gateway('/balance', t.access_token)).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
  })

  it('closes cleanly while a request hangs', async () => {
    const own = await startSandbox()
    own.control.setFaults({ apiHangs: true })
    const pending = fetch(`${own.sms77ApiUrl}/balance`).catch((e: unknown) => e)
    await sleep(100)
    await own.close()
    expect(await pending).toBeInstanceOf(Error)
  })
})
