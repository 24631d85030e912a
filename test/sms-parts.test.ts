import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { phoneField } from '../src/dashboard/phone-field.js'
import { translator } from '../src/i18n/catalogue.js'
import { HttpClient } from '../src/providers/http.js'
import { nexmoProvider } from '../src/providers/nexmo/index.js'
import { splitSms } from '../src/providers/sms-encoding.js'
import type { CallContext } from '../src/providers/types.js'

/** Issue 16: SMS that are encoded, split and priced right, and numbers read as E.164. */
describe('SMS encoding and parts', () => {
  it('counts GSM-7 septets (extension characters twice) and UCS-2 units, 160/153 and 70/67', () => {
    expect(splitSms('a'.repeat(160))).toEqual({ encoding: 'gsm', length: 160, parts: 1 })
    expect(splitSms('a'.repeat(161))).toEqual({ encoding: 'gsm', length: 161, parts: 2 })
    expect(splitSms('€'.repeat(80))).toEqual({ encoding: 'gsm', length: 160, parts: 1 })
    expect(splitSms('a'.repeat(1520))).toEqual({ encoding: 'gsm', length: 1520, parts: 10 })
    expect(splitSms('Grüße 👋')).toEqual({ encoding: 'ucs2', length: 8, parts: 1 })
    expect(splitSms('я'.repeat(71))).toEqual({ encoding: 'ucs2', length: 71, parts: 2 })
    expect(splitSms('я'.repeat(134))).toEqual({ encoding: 'ucs2', length: 134, parts: 2 })
    expect(splitSms('я'.repeat(135))).toEqual({ encoding: 'ucs2', length: 135, parts: 3 })
  })

  it('normalises phone numbers to E.164 and names an invalid one', () => {
    const toE164 = (typed: string) => phoneField(typed, { t: translator('en') })
    for (const typed of ['+49 170 1234567', '0049 170 1234567', '49-170-123 4567', '+49 (170) 1234567'])
      expect(toE164(typed)).toEqual({ ok: true, number: '+491701234567' })
    expect(toE164('+49 17')).toEqual({
      ok: false,
      message: '+49 17 is not a valid phone number: give it with its country code, e.g. +49 170 1234567.',
    })
    expect(toE164('call me')).toMatchObject({ ok: false, message: expect.stringMatching(/digits only/) })
    expect(toE164(' ')).toMatchObject({ ok: false, message: 'Enter the recipient’s phone number.' })
  })
})

describe('Nexmo /sms/json with several parts (PROVIDERS.md §3)', () => {
  let server: http.Server
  let apiUrl: string
  const seen: URLSearchParams[] = []
  let answer: unknown
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        seen.push(new URLSearchParams(body))
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  const ctx: CallContext = {
    credentials: { id: 'key', secret: 'secret' },
    grant: {
      secrets: { accessToken: 't', tokenSecret: 's' },
      obtainedAt: 0,
      scopes: [],
      accountId: 'a',
      accountLabel: 'a',
    },
  }
  const part = (id: string, balance: string) => ({
    to: '491701234567',
    'message-id': id,
    status: '0',
    'remaining-balance': balance,
    'message-price': '0.03330000',
    network: '26201',
  })
  const send = (text: string) =>
    nexmoProvider({ oauthUrl: apiUrl, apiUrl }, new HttpClient()).sendSms(ctx, { to: '+491701234567', text })

  it('sums the price of every part and takes the balance from the last, sending GSM text as text', async () => {
    answer = {
      'message-count': '3',
      messages: [part('A1', '9.9667'), part('A2', '9.9334'), part('A3', '9.9001')],
    }
    expect(await send('x'.repeat(400))).toEqual({
      messageId: 'A1',
      parts: 3,
      encoding: 'gsm',
      price: { amount: 0.0999, currency: 'EUR' },
      balance: { amount: 9.9001, currency: 'EUR' },
    })
    expect(seen.at(-1)!.get('type')).toBeNull()
    expect(seen.at(-1)!.get('to')).toBe('491701234567')
  })

  it('sends type=unicode when GSM-7 cannot carry the text', async () => {
    answer = { 'message-count': '1', messages: [part('B1', '9.8668')] }
    await send('Привет 👋')
    expect(seen.at(-1)!.get('type')).toBe('unicode')
  })

  it('fails when any part was refused, with that part’s status', async () => {
    answer = { 'message-count': '2', messages: [part('C1', '9.8'), { status: '9', 'error-text': 'Quota' }] }
    await expect(send('y'.repeat(200))).rejects.toMatchObject({
      provider: 'nexmo',
      code: 'provider_rejected',
    })
  })
})
