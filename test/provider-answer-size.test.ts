/**
 * A provider that answers with more than Switchboard reads (2 MiB) is reported as having sent
 * too large an answer, not as one that did not answer in time (issue 14, "Architecture").
 * The provider is a real loopback server; the providers are built as services.ts builds them.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProviderError } from '../src/errors/app-error.js'
import { HttpClient } from '../src/providers/http.js'
import { nexmoProvider } from '../src/providers/nexmo/index.js'
import { sms77Provider } from '../src/providers/sms77/index.js'
import type { CallContext } from '../src/providers/types.js'

const OVER_LIMIT = 3 * 1024 * 1024
let server: http.Server
let base: string
const calls: Array<{ endpoint: string; outcome: string }> = []
const client = new HttpClient({ observers: [(_p, endpoint, outcome) => calls.push({ endpoint, outcome })] })

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (path === '/hang/me') return // never answers
    res.writeHead(200, {
      'content-type': 'application/json',
      // One answer declares its size, the other streams it chunked: both are caught.
      ...(path === '/declared/me' ? { 'content-length': String(OVER_LIMIT) } : {}),
    })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    const pump = () => {
      while (sent < OVER_LIMIT) {
        sent += chunk.length
        if (!res.write(chunk)) return void res.once('drain', pump)
      }
      res.end()
    }
    res.on('error', () => undefined)
    pump()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await client.close()
  server.closeAllConnections()
  await new Promise<void>((r) => server.close(() => r()))
})

const ctx: CallContext = {
  credentials: { id: 'client', secret: 'secret' },
  grant: {
    secrets: { accessToken: 'access', tokenSecret: 'token-secret' },
    obtainedAt: Date.now(),
    scopes: [],
    accountId: 'a1',
    accountLabel: 'account',
  },
}

async function failure(call: Promise<unknown>): Promise<Record<string, unknown>> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ProviderError)
  const e = err as ProviderError
  return { provider: e.provider, code: e.code, status: e.status, message: e.message }
}

describe('an answer larger than Switchboard reads', () => {
  for (const kind of ['streamed', 'declared'] as const) {
    it(`sms77 /me, ${kind}: too large, not a timeout`, async () => {
      const sms77 = sms77Provider({ oauthUrl: `${base}/${kind}`, apiUrl: `${base}/${kind}` }, client)
      expect(await failure(sms77.fetchProfile(ctx))).toEqual({
        provider: 'sms77',
        code: 'provider_bad_response',
        status: 502,
        message: 'sms77 sent an answer too large for Switchboard to read.',
      })
      expect(calls.at(-1)).toEqual({ endpoint: `${base}/${kind}/me`, outcome: 'too_large' })
    })
  }

  it('Nexmo balance: too large, not a timeout', async () => {
    const nexmo = nexmoProvider({ oauthUrl: `${base}/streamed`, apiUrl: `${base}/streamed` }, client)
    expect(await failure(nexmo.fetchBalance(ctx))).toEqual({
      provider: 'nexmo',
      code: 'provider_bad_response',
      status: 502,
      message: 'Nexmo sent an answer too large for Switchboard to read.',
    })
    expect(calls.at(-1)?.outcome).toBe('too_large')
  })

  it('while a provider that does not answer at all is still reported as not answering in time', async () => {
    const impatient = new HttpClient({ dispatcher: new Agent({ headersTimeout: 300 }) })
    try {
      const sms77 = sms77Provider({ oauthUrl: `${base}/hang`, apiUrl: `${base}/hang` }, impatient)
      expect(await failure(sms77.fetchProfile(ctx))).toEqual({
        provider: 'sms77',
        code: 'provider_unavailable',
        status: 502,
        message: 'sms77 did not answer in time.',
      })
    } finally {
      await impatient.close()
    }
  })
})
