import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../src/config/config.js'
import { sandboxOptionsFor } from '../src/sandbox/options.js'
import { DEFAULT_REFRESH_TOKEN_TTL_SEC } from '../src/sandbox/types.js'
import { startSandbox, type RunningSandbox } from './helpers/sandbox-server.js'
import { basicAuth, sms77Tokens, type Sms77Tokens } from './helpers/sandbox-sms77.js'

// A refresh token left unused for longer than refreshTokenTtlSec dies (keep-alive tests need it short).

let sb: RunningSandbox

beforeAll(async () => {
  sb = await startSandbox()
})
afterAll(() => sb.close())
beforeEach(() => {
  sb.control.reset()
  sb.control.revokeSms77RefreshTokens()
  delete sb.control.options.sms77.refreshTokenTtlSec
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function refresh(refreshToken: string) {
  const res = await fetch(`${sb.sms77OAuthUrl}/token`, {
    method: 'POST',
    headers: { authorization: basicAuth() },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  })
  return { status: res.status, body: (await res.json()) as Sms77Tokens & { error?: string } }
}

describe('sms77 sandbox: refresh-token lifetime', () => {
  it('kills a refresh token unused for longer than refreshTokenTtlSec with invalid_grant', async () => {
    sb.control.options.sms77.refreshTokenTtlSec = 1
    const t = await sms77Tokens(sb, 'balance')
    expect(sb.control.sms77RefreshTokens()).toEqual([t.refresh_token])
    await sleep(1100)
    expect(sb.control.sms77RefreshTokens()).toEqual([])
    expect(await refresh(t.refresh_token)).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Refresh token has expired' },
    })
    expect(sb.control.stats.sms77.refreshFailures).toBe(1)
  })

  it('gives each rotated refresh token a fresh lifetime, so a grant used in time lives on', async () => {
    sb.control.options.sms77.refreshTokenTtlSec = 2
    const t = await sms77Tokens(sb, 'balance')
    await sleep(1200)
    const rotated = await refresh(t.refresh_token)
    expect(rotated.status).toBe(200)
    await sleep(1200)
    expect((await refresh(rotated.body.refresh_token)).status).toBe(200)
  })

  it('is set at run time through the JSON control surface', async () => {
    const post = (body: unknown) =>
      fetch(`${sb.origin}/sandbox/_control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect((await post({ refreshTokenTtlSec: 0 })).status).toBe(400)
    expect((await post({ refreshTokenTtlSec: 1 })).status).toBe(200)
    expect(sb.control.options.sms77.refreshTokenTtlSec).toBe(1)
    const t = await sms77Tokens(sb, 'balance')
    await sleep(1100)
    expect((await refresh(t.refresh_token)).body.error).toBe('invalid_grant')
  })

  it('lasts 14 days unless told otherwise (bshaffer refresh_token_lifetime)', async () => {
    expect(DEFAULT_REFRESH_TOKEN_TTL_SEC).toBe(1_209_600)
    const t = await sms77Tokens(sb, 'balance')
    expect((await refresh(t.refresh_token)).status).toBe(200)
  })
})

describe('sandboxOptionsFor: refresh-token lifetime', () => {
  const config = loadConfig({})

  it('defaults to 14 days, takes an override, and follows config.sandbox.refreshTokenTtlSec once config has it', () => {
    expect(sandboxOptionsFor(config).sms77.refreshTokenTtlSec).toBe(1_209_600)
    expect(sandboxOptionsFor(config, { refreshTokenTtlSec: 5 }).sms77.refreshTokenTtlSec).toBe(5)
    const sandbox = { ...config.sandbox, refreshTokenTtlSec: 60 }
    const withTtl = { ...config, sandbox }
    expect(sandboxOptionsFor(withTtl).sms77.refreshTokenTtlSec).toBe(60)
  })

  it('leaves requirePkce off unless asked', () => {
    expect(sandboxOptionsFor(config).sms77.requirePkce).toBe(false)
    expect(sandboxOptionsFor(config, { requirePkce: true }).sms77.requirePkce).toBe(true)
  })
})
