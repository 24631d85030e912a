/**
 * Issue 28 finding 6 and part 8: one rule for phone numbers, in the dashboard and the API.
 * A number that cannot be reached is refused before any provider call, naming the field
 * on the dashboard (the typed text kept) and as a 422 problem in the API; a provider's
 * refusal of a number is translated as such, never as an answer Switchboard could not read.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProviderError } from '../src/errors/app-error.js'
import { HttpClient } from '../src/providers/http.js'
import { nexmoProvider } from '../src/providers/nexmo/index.js'
import { sms77Provider } from '../src/providers/sms77/index.js'
import type { CallContext } from '../src/providers/types.js'
import { csrfOf, startTestApp, type TestApp } from './helpers/app.js'
import { api, smsSent, tenantWithConnections, type ApiTenant } from './helpers/api.js'

let t: TestApp
let a: ApiTenant
beforeAll(async () => {
  t = await startTestApp({ name: 'phone-numbers' })
  a = await tenantWithConnections(t, 'Phone Co')
})
afterAll(() => t.close())

async function sendFromDashboard(provider: string, to: string, text: string): Promise<string> {
  await a.admin
    .post(`/connections/${provider}/sms`)
    .type('form')
    .send({ _csrf: await csrfOf(a.admin), to, text })
    .expect(303)
    .expect('location', '/dashboard')
  return (await a.admin.get('/dashboard').expect(200)).text
}

const sendFromApi = (to: string, key: string) =>
  api(t.app, a.key).post(`/api/v1/connections/${a.ids.sms77}/messages`).set('Idempotency-Key', key).send({
    to,
    text: 'Hello',
  })

describe('a number that cannot be reached (issue 28 finding 6)', () => {
  it('is refused on the dashboard before any provider call, naming the field and keeping the text', async () => {
    const before = smsSent(t)
    for (const provider of ['sms77', 'nexmo']) {
      const page = await sendFromDashboard(provider, '+4912345', 'Typed with care')
      expect(page).toContain(
        'Not sent: Check “To”: +4912345 is not a valid phone number: give it with its country code, e.g. +49 170 1234567.',
      )
      expect(page).toContain('value="+4912345"')
      expect(page).toContain('Typed with care</textarea>')
      expect(page).not.toContain('could not read')
    }
    expect(smsSent(t)).toBe(before)
  })

  it('is a 422 problem in the API, before any provider call', async () => {
    const before = smsSent(t)
    const res = await sendFromApi('+4912345', 'short-number').expect(422)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.body).toMatchObject({
      type: 'http://switchboard.test/api/docs#problem-invalid_phone_number',
      status: 422,
      code: 'invalid_phone_number',
    })
    expect(smsSent(t)).toBe(before)
  })
})

describe('one phone-number rule for the dashboard and the API (issue 28 part 8)', () => {
  it('refuses `+49 170 1234567 ext 5` in both: an SMS cannot reach an extension', async () => {
    const before = smsSent(t)
    const page = await sendFromDashboard('sms77', '+49 170 1234567 ext 5', 'Hi')
    expect(page).toContain(
      'Not sent: Check “To”: A phone number has digits only, optionally starting with +.',
    )
    const res = await sendFromApi('+49 170 1234567 ext 5', 'extension').expect(422)
    expect(res.body.code).toBe('invalid_phone_number')
    expect(smsSent(t)).toBe(before)
  })

  it('accepts the same spellings of a reachable number in both, as the same E.164', async () => {
    const res = await sendFromApi('0049 (170) 123-4567', 'spelling').expect(201)
    expect(res.body.to).toBe('+491701234567')
    const page = await sendFromDashboard('sms77', '0049 (170) 123-4567', 'Hi')
    expect(page).toContain('Message sent to +491701234567 with sms77')
  })
})

describe('a provider refusing a number', () => {
  let server: http.Server
  let base: string
  let answer: { status?: number; body: string } = { body: '' }
  const client = new HttpClient()
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(answer.body))
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
      scopes: ['sms'],
      accountId: 'a1',
      accountLabel: 'account',
    },
  }
  const message = { to: '+491701234567', text: 'Hello' }

  async function failure(call: Promise<unknown>) {
    const err = await call.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ProviderError)
    const e = err as ProviderError
    return { provider: e.provider, code: e.code, status: e.status, message: e.message }
  }

  it('sms77 answering only its code 202 (bad recipient) is a refused number, not an unreadable answer', async () => {
    const sms77 = sms77Provider({ oauthUrl: base, apiUrl: base }, client)
    const refused = {
      provider: 'sms77',
      code: 'invalid_phone_number',
      status: 422,
      message: 'sms77 refused the recipient number as not valid.',
    }
    answer = { body: '"202"' }
    expect(await failure(sms77.sendSms(ctx, message))).toEqual(refused)
    answer = { body: '202' }
    expect(await failure(sms77.sendSms(ctx, message))).toEqual(refused)
    answer = {
      body: JSON.stringify({ success: '100', messages: [{ id: null, success: false, error: '202' }] }),
    }
    expect(await failure(sms77.sendSms(ctx, message))).toEqual(refused)
  })

  it('Nexmo answering status 33 (deactivated number) is a refused number', async () => {
    const nexmo = nexmoProvider({ oauthUrl: base, apiUrl: base }, client)
    answer = {
      body: JSON.stringify({
        'message-count': '1',
        messages: [{ status: '33', 'error-text': 'Deactivated' }],
      }),
    }
    expect(await failure(nexmo.sendSms(ctx, message))).toEqual({
      provider: 'nexmo',
      code: 'invalid_phone_number',
      status: 422,
      message: 'Nexmo refused the recipient number: it is no longer in service.',
    })
  })
})
