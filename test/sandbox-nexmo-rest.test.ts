import http, { type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { OAuth } from 'oauth'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { smsParts } from '../src/sandbox/nexmo/sms.js'
import { createSandbox, SANDBOX_PATHS } from '../src/sandbox/index.js'
import { startSandbox, TEST_NEXMO_CONSUMER } from './helpers/sandbox-server.js'

interface Target {
  oauthUrl: string
  restUrl: string
  close(): Promise<void>
}

let target: Target
let control: Awaited<ReturnType<typeof startSandbox>>['control']
beforeEach(async () => {
  const sb = await startSandbox()
  control = sb.control
  target = { oauthUrl: sb.nexmoOAuthUrl, restUrl: sb.nexmoRestUrl, close: sb.close }
})
afterEach(() => target.close())

interface Reply {
  status: number
  body: string
  headers: IncomingMessage['headers']
}

/** Completes the OAuth dance with the npm `oauth` library and returns a signed-call helper. */
async function connect(account = 'harbourline') {
  const oa = new OAuth(
    `${target.oauthUrl}/request_token`,
    `${target.oauthUrl}/access_token`,
    TEST_NEXMO_CONSUMER.key,
    TEST_NEXMO_CONSUMER.secret,
    '1.0A',
    'http://app.example/cb',
    'HMAC-SHA1',
  )
  const rt = await new Promise<[string, string]>((resolve, reject) =>
    oa.getOAuthRequestToken((err, t, s) => (err ? reject(err) : resolve([t, s]))),
  )
  const body = new URLSearchParams({ oauth_token: rt[0], account, decision: 'allow' })
  const decided = await fetch(`${target.oauthUrl}/authorize`, { method: 'POST', body, redirect: 'manual' })
  const verifier = new URL(decided.headers.get('location') ?? '').searchParams.get('oauth_verifier') ?? ''
  const [token, secret] = await new Promise<[string, string]>((resolve, reject) =>
    oa.getOAuthAccessToken(rt[0], rt[1], verifier, (err, t, s) => (err ? reject(err) : resolve([t, s]))),
  )
  const call = (method: 'GET' | 'POST', path: string, form?: Record<string, string | string[]>) =>
    new Promise<Reply>((resolve, reject) => {
      const done = (err: { data?: string } | null, data?: string | Buffer, res?: IncomingMessage) =>
        res
          ? resolve({
              status: res.statusCode ?? 0,
              body: String(data ?? err?.data ?? ''),
              headers: res.headers,
            })
          : reject(err)
      const url = target.restUrl + path
      if (method === 'GET') oa.get(url, token, secret, done as never)
      else oa.post(url, token, secret, form, 'application/x-www-form-urlencoded', done as never)
    })
  return { oa, token, secret, call }
}

const sms = (c: Awaited<ReturnType<typeof connect>>, form: Record<string, string | string[]>) =>
  c.call('POST', '/sms/json', form).then((r) => JSON.parse(r.body))

describe('Nexmo sandbox SMS', () => {
  it('splits long GSM texts into 153-septet parts and charges each part', async () => {
    const c = await connect()
    const res = await sms(c, { from: '447700900001', to: '447700900000', text: 'x'.repeat(161) })
    expect(res['message-count']).toBe('2')
    expect(res.messages.map((m: Record<string, string>) => m['remaining-balance'])).toEqual([
      '10.13797500',
      '10.10467500',
    ])
    expect(new Set(res.messages.map((m: Record<string, string>) => m['message-id'])).size).toBe(2)
  })

  it('counts parts as GSM-7 septets or UCS-2 units', () => {
    expect(smsParts('x'.repeat(160), 'text')).toBe(1)
    expect(smsParts('€'.repeat(80), 'text')).toBe(1)
    expect(smsParts('€'.repeat(81), 'text')).toBe(2)
    expect(smsParts('x'.repeat(306), 'text')).toBe(2)
    expect(smsParts('x'.repeat(307), 'text')).toBe(3)
    expect(smsParts('Grüße'.repeat(14), 'unicode')).toBe(1)
    expect(smsParts('😀'.repeat(36), 'unicode')).toBe(2)
  })

  it('answers missing parameters with status 2 and an unknown type with status 3', async () => {
    const c = await connect()
    expect((await sms(c, { from: 'Acme', to: '447700900000' })).messages[0]).toEqual({
      status: '2',
      'error-text': 'Missing text param',
    })
    expect((await sms(c, { from: 'Acme', text: 'hi' })).messages[0].status).toBe('2')
    expect(
      (await sms(c, { from: 'Acme', to: '447700900000', text: 'hi', type: 'binary' })).messages[0].status,
    ).toBe('3')
    expect(
      (await sms(c, { from: 'Too long sender', to: '447700900000', text: 'hi' })).messages[0].status,
    ).toBe('15')
  })

  it('answers insufficient credit with status 9 and leaves the balance alone', async () => {
    const c = await connect('nightowl')
    const res = await sms(c, { from: 'NightOwl', to: '4915112345678', text: 'Fresh bread!' })
    expect(res.messages[0]).toMatchObject({ status: '9' })
    expect((await c.call('GET', '/account/get-balance')).body).toBe('{"value":0.02000000,"autoReload":false}')
  })

  it('signs and reads query parameters on GET /sms/json, as the PHP sample sent them', async () => {
    const c = await connect()
    const res = await c.call(
      'GET',
      '/sms/json?from=Acme&to=33612345678&text=Bonjour%20%C3%A0%20tous&type=unicode',
    )
    expect(JSON.parse(res.body).messages[0]).toMatchObject({
      status: '0',
      to: '33612345678',
      network: '20801',
    })
  })

  it('signs repeated form keys and uses the first occurrence', async () => {
    const c = await connect()
    const res = await sms(c, { from: 'Acme', to: ['447700900000', '447700900009'], text: 'hi' })
    expect(res.messages[0]).toMatchObject({ status: '0', to: '447700900000' })
  })

  it('accepts a JSON body (unsigned under OAuth 1.0a) like the Ruby SDK sent', async () => {
    const c = await connect()
    const url = `${target.restUrl}/sms/json`
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        Authorization: c.oa.authHeader(url, c.token, c.secret, 'POST'),
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({ from: 'Acme', to: '447700900000', text: 'hi' }),
    })
    expect((await res.json()).messages[0]).toMatchObject({ status: '0' })
  })

  it('answers unknown REST paths with a JSON 404', async () => {
    const res = await fetch(`${target.restUrl}/sms/xml`, { method: 'POST' })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual({ 'error-code': '404', 'error-code-label': 'not found' })
  })
})

describe('Nexmo sandbox faults', () => {
  it('delays answers by apiLatencyMs', async () => {
    const c = await connect()
    control.setFaults({ apiLatencyMs: 200 })
    const started = Date.now()
    expect((await c.call('GET', '/account/get-balance')).status).toBe(200)
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
  })

  it('answers 500 with apiFails and broken JSON with apiMalformed, counting the calls', async () => {
    const c = await connect()
    control.setFaults({ apiFails: true })
    expect((await c.call('GET', '/account/get-balance')).status).toBe(500)
    control.setFaults({ apiFails: false, apiMalformed: true })
    const malformed = await c.call('POST', '/sms/json', { from: 'Acme', to: '447700900000', text: 'hi' })
    expect(malformed.status).toBe(200)
    expect(() => JSON.parse(malformed.body)).toThrow()
    expect(control.stats.nexmo.apiCalls).toEqual({ 'get-balance': 1, sms: 1 })
  })

  it('never answers with apiHangs', async () => {
    const c = await connect()
    control.setFaults({ apiHangs: true })
    const url = `${target.restUrl}/account/get-balance`
    const call = fetch(url, {
      headers: { Authorization: c.oa.authHeader(url, c.token, c.secret, 'GET') },
      signal: AbortSignal.timeout(300),
    })
    await expect(call).rejects.toMatchObject({ name: 'TimeoutError' })
    expect(control.stats.nexmo.apiCalls['get-balance']).toBe(1)
  })
})

describe('Nexmo sandbox behind an app-wide urlencoded parser', () => {
  it('still verifies form bodies it did not parse itself', async () => {
    await target.close()
    const sandbox = createSandbox({
      sms77: { clients: [], accessTokenTtlSec: 3600, codeTtlSec: 30, refreshGraceSec: 0 },
      nexmo: { consumers: [TEST_NEXMO_CONSUMER], timestampWindowSec: 300 },
    })
    const app = express()
    app.use(express.urlencoded({ extended: false }))
    app.use('/provider', sandbox.router)
    const server = http.createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/provider`
    target = {
      oauthUrl: base + SANDBOX_PATHS.nexmoOAuth,
      restUrl: base + SANDBOX_PATHS.nexmoRest,
      close: () =>
        new Promise((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    }
    const c = await connect()
    const res = await sms(c, { from: 'Acme', to: '447700900000', text: "a+b = c & d's (100%)" })
    expect(res.messages[0]).toMatchObject({ status: '0' })
    expect(sandbox.control.stats.nexmo.signatureFailures).toBe(0)
  })
})
