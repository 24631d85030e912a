import {
  AnalyticsResource,
  BalanceResource,
  Client,
  ContactsResource,
  HooksResource,
  JournalResource,
  LookupResource,
  PricingResource,
  SmsResource,
  StatusResource,
  SubaccountsResource,
  ValidateResource,
  VoiceResource,
} from '@seven.io/client'
import * as sms77 from 'sms77-client'
import { ContactsAction } from 'sms77-client/dist/constants/byEndpoint/contacts/ContactsAction.js'
import { HooksAction } from 'sms77-client/dist/constants/byEndpoint/hooks/HooksAction.js'
import { LookupType } from 'sms77-client/dist/constants/byEndpoint/lookup/LookupType.js'
import type { Sms77Client as Sms77ClientClass } from 'sms77-client'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startSandbox, type RunningSandbox } from './helpers/sandbox-server.js'
import { sms77AccessToken } from './helpers/sandbox-sms77.js'

// Both official npm SDKs, unchanged, talking to the sandbox's gateway with an OAuth token.

// sms77-client is a CommonJS UMD bundle whose module.exports is the class; its typings
// describe `exports.default` instead, so at run time the ESM default import is the class.
const Sms77Client = sms77.default as unknown as typeof Sms77ClientClass

const ALL_SCOPES =
  'analytics balance contacts hooks journal lookup pricing sms status subaccounts validate_for_voice voice'
let sb: RunningSandbox
let accessToken: string

beforeAll(async () => {
  sb = await startSandbox()
  accessToken = await sms77AccessToken(sb, ALL_SCOPES, { clientAuth: 'body' })
  // Both SDKs read a static BASE_URL on every request (PROVIDERS.md §4).
  ;(Object.getPrototypeOf(Sms77Client) as { BASE_URL: string }).BASE_URL = sb.sms77ApiUrl
  Object.defineProperty(Client, 'BASE_URL', { value: sb.sms77ApiUrl })
})
afterAll(() => sb.close())

describe('sms77-client 2.27 (legacy endpoints) against the sandbox', () => {
  const client = () => new Sms77Client(`Bearer ${accessToken}`)

  it('reads balance, analytics, journal and pricing', async () => {
    const before = sb.control.stats.sms77.apiCalls.balance ?? 0
    expect(await client().balance()).toBeCloseTo(627.3615, 4)
    expect(sb.control.stats.sms77.apiCalls.balance).toBe(before + 1)
    const analytics = await client().analytics({ group_by: 'date' })
    expect(analytics).toHaveLength(30)
    expect(analytics[0]).toEqual({
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      sms: expect.any(Number),
      voice: expect.any(Number),
      hlr: expect.any(Number),
      mnp: expect.any(Number),
      inbound: expect.any(Number),
      rcs: 0,
      usage_eur: expect.any(Number),
    })
    const byCountry = await client().analytics({ group_by: 'country' })
    expect(byCountry.map((r) => ('country' in r ? r.country : ''))).toEqual(['at', 'ch', 'de'])
    const journal = await client().journal({ type: 'outbound' })
    expect(journal.length).toBeGreaterThan(10)
    expect(journal[0]).toMatchObject({ from: 'AcmeInc', connection: 'http', type: 'direct' })
    const pricing = await client().pricing({ country: 'de' })
    expect(pricing).toMatchObject({
      countCountries: 1,
      countNetworks: 4,
      countries: [{ countryCode: 'DE', countryPrefix: '49' }],
    })
  })

  it('sends an SMS (text and JSON), then reads its status', async () => {
    expect(await client().sms({ to: '+4917612345678', text: 'Hello from sms77-client' })).toBe(100)
    const res = await client().sms({ to: '+4915112345678', text: 'Hello again', json: true })
    expect(res).toMatchObject({ success: '100', sms_type: 'direct', total_price: 0.075 })
    if (typeof res !== 'object') throw new Error('expected the JSON answer')
    const id = res.messages[0]?.id ?? ''
    expect(res.messages[0]).toMatchObject({
      recipient: '4915112345678',
      success: true,
      encoding: 'gsm',
      parts: 1,
    })
    expect(await client().status({ msg_id: id, _json: true })).toEqual({
      report: 'DELIVERED',
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.000$/),
    })
    expect(await client().balance()).toBeCloseTo(627.3615 - 0.15, 4)
  })

  it('looks numbers up (format, hlr, cnam, mnp)', async () => {
    expect(await client().lookup({ type: LookupType.Format, number: '017612345678' })).toMatchObject({
      success: true,
      international: '4917612345678',
      country_iso: 'DE',
      network_type: 'mobile',
    })
    expect(
      await client().lookup({ type: LookupType.HomeLocationRegister, number: '+4917612345678' }),
    ).toMatchObject({
      status: true,
      valid_number: 'valid',
    })
    expect(
      await client().lookup({ type: LookupType.CallingNameDelivery, number: '+12015550123' }),
    ).toMatchObject({
      success: 'true',
      code: '100',
    })
    expect(
      await client().lookup({ type: LookupType.MobileNumberPortability, number: '+4917612345678' }),
    ).toBe('o2')
    expect(
      await client().lookup({
        type: LookupType.MobileNumberPortability,
        number: '+4917612345678',
        json: true,
      }),
    ).toMatchObject({
      success: true,
      mnp: { country: 'DE', mccmnc: '26203' },
    })
  })

  it('uses contacts, hooks, subaccounts, voice and validate_for_voice', async () => {
    const id = await client().contacts({
      action: ContactsAction.Write,
      nick: 'Sandy',
      empfaenger: '4917699999999',
      json: true,
    })
    expect(typeof id).toBe('number')
    const contacts = await client().contacts({ action: ContactsAction.Read, json: true })
    expect(contacts).toContainEqual({ ID: String(id), Name: 'Sandy', Number: '4917699999999' })
    const hook = await client().hooks({
      action: HooksAction.Subscribe,
      target_url: 'https://example.com/hook',
      event_type: 'dlr',
    })
    expect(hook).toMatchObject({ success: true, id: expect.any(Number) })
    expect(await client().hooks({ action: HooksAction.Read })).toMatchObject({
      success: true,
      hooks: expect.any(Array),
    })
    expect(await client().subaccounts.read()).toHaveLength(2)
    expect(await client().voice({ to: '+4917612345678', text: 'Hello', json: true })).toMatchObject({
      success: '100',
    })
    expect(await client().validateForVoice({ number: '+4917612345678' })).toMatchObject({
      success: true,
      voice: true,
    })
  })

  it('throws the 900 and 902 codes', async () => {
    await expect(new Sms77Client('Bearer nope').balance()).rejects.toThrow('900: InvalidApiKey')
    const narrow = await sms77AccessToken(sb, 'balance', { clientAuth: 'body' })
    await expect(new Sms77Client(`Bearer ${narrow}`).journal({ type: 'outbound' })).rejects.toThrow(
      '902: DeactivatedApi',
    )
  })
})

describe('@seven.io/client 5.6 (current endpoints) against the sandbox', () => {
  const client = () => new Client({ apiKey: `Bearer ${accessToken}` })

  it('reads balance, analytics, journal and pricing', async () => {
    expect(await new BalanceResource(client()).get()).toEqual({ amount: expect.any(Number), currency: 'EUR' })
    const analytics = new AnalyticsResource(client())
    const byDate = await analytics.byDate({ start: new Date('2025-01-01'), end: new Date('2025-01-10') })
    expect(byDate.map((r) => r.date)).toHaveLength(10)
    expect(byDate[0]?.date).toBe('2025-01-01')
    expect(await analytics.byLabel()).toEqual(
      expect.arrayContaining([expect.objectContaining({ label: 'otp' })]),
    )
    expect((await analytics.bySubaccount()).map((r) => r.account)).toEqual(['12345', '412001', '412002'])
    const outbound = await new JournalResource(client()).outbound({ limit: 5 })
    expect(outbound).toHaveLength(5)
    expect(await new JournalResource(client()).voice()).toEqual(
      expect.arrayContaining([expect.objectContaining({ xml: false })]),
    )
    const pricing = await new PricingResource(client()).get()
    expect(pricing.countCountries).toBeGreaterThanOrEqual(5)
    expect(pricing.countries.find((c) => c.countryCode === 'GB')?.networks[0]).toMatchObject({
      mcc: '234',
      price: 0.055,
    })
  })

  it('sends an SMS to two recipients and reads both statuses', async () => {
    const before = (await new BalanceResource(client()).get()).amount
    const sent = await new SmsResource(client()).dispatch({
      to: ['+4917612345678', '+447700900123'],
      text: 'Hi from seven',
    })
    expect(sent).toMatchObject({ success: '100', total_price: 0.13, debug: 'false' })
    expect(sent.messages.map((m) => m.recipient)).toEqual(['4917612345678', '447700900123'])
    expect((await new BalanceResource(client()).get()).amount).toBeCloseTo(before - 0.13, 4)
    const ids = sent.messages.map((m) => Number(m.id))
    vi.spyOn(console, 'log').mockImplementation(() => {}) // StatusResource logs its raw answer
    const statuses = await new StatusResource(client()).get(ids)
    expect(statuses.map((s) => s.status)).toEqual(['DELIVERED', 'DELIVERED'])
    const journal = await new JournalResource(client()).outbound({ limit: 2 })
    expect(journal.map((j) => j.id).sort()).toEqual(ids.map(String).sort())
  })

  it('looks numbers up (format, hlr, mnp, cnam)', async () => {
    const lookup = new LookupResource(client())
    const [format] = await lookup.format({ numbers: ['+4917612345678'] })
    expect(format).toMatchObject({
      success: true,
      international_formatted: '+49 176 12345678',
      carrier: expect.any(String),
    })
    const hlr = await lookup.hlr({ numbers: ['+4917612345678', '+447700900123'] })
    expect(hlr.map((h) => h.country_code)).toEqual(['DE', 'GB'])
    const [mnp] = await lookup.mnp({ numbers: ['+4915212345678'] })
    expect(mnp).toMatchObject({
      success: true,
      code: 100,
      mnp: { network: 'Telefónica Germany GmbH & Co. oHG', isPorted: true },
    })
    const [cnam] = await lookup.cnam({ numbers: ['+12015550123'] })
    expect(cnam).toMatchObject({ success: 'true', name: expect.any(String) })
  })

  it('uses contacts, hooks, subaccounts, voice and validate', async () => {
    const contacts = new ContactsResource(client())
    const created = await contacts.create({
      avatar: '',
      groups: [],
      properties: { firstname: 'Ada', lastname: 'Lovelace', mobile_number: '4917611111111' } as never,
    })
    expect(created.properties).toMatchObject({ fullname: 'Ada Lovelace', mobile_number: '4917611111111' })
    expect((await contacts.list({ search: 'lovelace' })).data.map((c) => c.id)).toEqual([created.id])
    const hooks = new HooksResource(client())
    const sub = await hooks.subscribe({ targetUrl: 'https://example.org/seven', eventType: 'sms_mo' })
    expect(sub).toMatchObject({ success: true })
    expect((await hooks.read()).hooks?.some((h) => h.target_url === 'https://example.org/seven')).toBe(true)
    expect(await hooks.unsubscribe(sub.id ?? 0)).toEqual({ success: true })
    expect((await new SubaccountsResource(client()).read())[0]).toMatchObject({ username: 'acme_support' })
    expect(await new VoiceResource(client()).dispatch({ to: '+4917612345678', text: 'Hi' })).toMatchObject({
      success: '100',
    })
    expect(await new ValidateResource(client()).start({ number: '+4917612345678' })).toMatchObject({
      success: true,
    })
  })

  it('throws 900 for an invalid token', async () => {
    await expect(new BalanceResource(new Client({ apiKey: 'Bearer nope' })).get()).rejects.toThrow(
      '900: InvalidApiKey',
    )
  })
})
