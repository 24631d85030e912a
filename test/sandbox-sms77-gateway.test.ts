import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSandbox, type RunningSandbox } from './helpers/sandbox-server.js'
import { sms77AccessToken } from './helpers/sandbox-sms77.js'

// The emulated gateway over raw HTTP: negotiation, validation, charging and the data shapes.

const ALL_SCOPES =
  'analytics balance contacts hooks journal lookup pricing sms status subaccounts validate_for_voice voice'
const JSON_ACCEPT = { accept: 'application/json' }
let sb: RunningSandbox
let acme: string // Acme Inc, 627.3615 EUR
let harbor: string // Blue Harbor Dental, 1.25 EUR

function call(
  token: string,
  path: string,
  init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
) {
  return fetch(`${sb.sms77ApiUrl}${path}`, {
    method: init.method ?? (init.form ? 'POST' : 'GET'),
    headers: { authorization: `Bearer ${token}`, ...init.headers },
    body: init.form ? new URLSearchParams(init.form) : undefined,
  })
}

const text = async (token: string, path: string, init?: Parameters<typeof call>[2]) =>
  (await call(token, path, init)).text()
const json = async (token: string, path: string, init?: Parameters<typeof call>[2]) =>
  (
    await call(token, path, { ...init, headers: { ...JSON_ACCEPT, ...init?.headers } })
  ).json() as Promise<unknown>

beforeAll(async () => {
  sb = await startSandbox()
  acme = await sms77AccessToken(sb, ALL_SCOPES, { account: '12345' })
  harbor = await sms77AccessToken(sb, ALL_SCOPES, { account: '70518' })
})
afterAll(() => sb.close())

describe('sms77 sandbox gateway: negotiation and balance', () => {
  it('answers /balance as a text float, or JSON on Accept or json=1', async () => {
    const plain = await call(harbor, '/balance')
    expect(plain.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await plain.text()).toBe('1.2500')
    expect(await json(harbor, '/balance')).toEqual({ amount: 1.25, currency: 'EUR' })
    expect(JSON.parse(await text(harbor, '/balance?json=1'))).toEqual({ amount: 1.25, currency: 'EUR' })
  })

  it('counts calls per endpoint, failed ones included', async () => {
    const before = { ...sb.control.stats.sms77.apiCalls }
    await call(acme, '/pricing')
    await call('bogus', '/pricing')
    await call(acme, '/nowhere')
    expect(sb.control.stats.sms77.apiCalls.pricing).toBe((before.pricing ?? 0) + 2)
    expect(sb.control.stats.sms77.apiCalls.nowhere).toBeUndefined()
  })
})

describe('sms77 sandbox gateway: sms, journal and status', () => {
  it('validates to/text/sender with the bare codes, as text or JSON', async () => {
    expect(await text(acme, '/sms', { form: { text: 'hi' } })).toBe('301')
    expect(await text(acme, '/sms', { form: { to: '+4917612345678' } })).toBe('305')
    expect(await json(acme, '/sms', { form: { to: '+4917612345678', text: 'x'.repeat(1521) } })).toBe('401')
    expect(
      await text(acme, '/sms', { form: { to: '+4917612345678', text: 'hi', from: 'WayTooLongSender' } }),
    ).toBe('201')
    expect(await text(acme, '/sms', { form: { to: '12', text: 'hi' } })).toBe('202')
  })

  it('charges per part, files the message first in the outbound journal, and reports its status', async () => {
    const before = ((await json(acme, '/balance')) as { amount: number }).amount
    const long = 'x'.repeat(161) // two GSM parts
    const sent = (await json(acme, '/sms', {
      form: { to: '017612345678,12', text: long, label: 'otp', from: 'Acme' },
    })) as {
      success: string
      total_price: number
      balance: number
      messages: Array<{
        id: string | null
        parts: number
        price: number
        success: boolean
        error: string | null
      }>
    }
    expect(sent.success).toBe('101')
    expect(sent.total_price).toBe(0.15)
    expect(sent.messages.map((m) => [m.parts, m.price, m.success, m.error])).toEqual([
      [2, 0.15, true, null],
      [2, 0, false, '202'],
    ])
    expect(sent.balance).toBeCloseTo(before - 0.15, 4)
    const id = sent.messages[0]?.id ?? ''
    const [latest] = (await json(acme, '/journal/outbound?limit=1')) as Array<Record<string, unknown>>
    expect(latest).toMatchObject({
      id,
      from: 'Acme',
      to: '4917612345678',
      label: 'otp',
      price: '0.15',
      dlr: 'DELIVERED',
    })
    expect(await text(acme, `/status?msg_id=${id}`)).toMatch(
      /^DELIVERED\n\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.000$/,
    )
    expect(await json(acme, `/status?msg_id=${id},77000000001`)).toEqual([
      { id, status: 'DELIVERED', status_time: expect.any(String), statusTime: expect.any(String) },
      { id: '77000000001', status: 'UNKNOWN', status_time: null, statusTime: null },
    ])
    expect(await text(acme, '/status?msg_id=1')).toBe('901')
  })

  it('answers legacy text 100 (with ids on return_msg_id=1) and leaves debug sends uncharged', async () => {
    expect(await text(acme, '/sms', { form: { to: '+4917612345678', text: 'hi' } })).toBe('100')
    expect(
      await text(acme, '/sms', { form: { to: '+4917612345678', text: 'hi', return_msg_id: '1' } }),
    ).toMatch(/^100\n\d{11}$/)
    const before = await text(acme, '/balance')
    const debug = (await json(acme, '/sms', {
      form: { to: '+4917612345678', text: 'hi', debug: '1' },
    })) as Record<string, unknown>
    expect(debug).toMatchObject({
      debug: 'true',
      total_price: 0.075,
      messages: [{ id: null, success: true }],
    })
    expect(await text(acme, '/balance')).toBe(before)
  })

  it('refuses a send the balance cannot cover with 500 and charges nothing', async () => {
    const to = Array.from({ length: 20 }, (_, i) => `+4917612345${String(i).padStart(3, '0')}`).join(',')
    expect(await text(harbor, '/sms', { form: { to, text: 'Reminder' } })).toBe('500')
    expect(await text(harbor, '/balance')).toBe('1.2500')
  })

  it('serves the legacy ?type= journal and the /journal/{type} paths with filters', async () => {
    expect(await text(acme, '/journal')).toBe('304')
    expect(await text(acme, '/journal?type=sideways')).toBe('400')
    const legacy = (await json(acme, '/journal?type=inbound')) as Array<Record<string, unknown>>
    expect(legacy).toHaveLength(6)
    expect(legacy[0]).toEqual({
      id: expect.any(String),
      from: expect.any(String),
      to: expect.any(String),
      text: expect.any(String),
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      price: '0',
      reply_to_message_id: null,
    })
    const replies = (await json(acme, '/journal/replies')) as Array<{ reply_to_message_id: string }>
    expect(replies.every((r) => /^\d{11}$/.test(r.reply_to_message_id))).toBe(true)
    const undelivered = (await json(acme, '/journal/outbound?state=NOTDELIVERED')) as Array<{ dlr: string }>
    expect(undelivered.every((e) => e.dlr === 'NOTDELIVERED')).toBe(true)
    const page = (await json(acme, '/journal/outbound?limit=3&offset=2&date_from=undefined')) as unknown[]
    expect(page).toHaveLength(3)
  })
})

describe('sms77 sandbox gateway: analytics and pricing', () => {
  it('charts 30 continuous days up to today, the same on every call, and groupings agree', async () => {
    const rows = (await json(acme, '/analytics?group_by=date')) as Array<{
      date: string
      sms: number
      usage_eur: number
    }>
    expect(rows).toHaveLength(30)
    expect(rows.at(-1)?.date).toBe(new Date().toISOString().slice(0, 10))
    const days = rows.map((r) => Date.parse(r.date))
    expect(days.slice(1).every((d, i) => d - (days[i] ?? 0) === 86_400_000)).toBe(true)
    expect(rows.some((r) => r.sms > 50)).toBe(true)
    expect(await json(acme, '/analytics?group_by=date')).toEqual(rows)
    const total = (list: Array<{ sms: number }>) => list.reduce((n, r) => n + r.sms, 0)
    const byCountry = (await json(acme, '/analytics/country')) as Array<{ country: string; sms: number }>
    const byLabel = (await json(acme, '/analytics/label')) as Array<{ label: string; sms: number }>
    expect(total(byCountry)).toBe(total(rows))
    expect(total(byLabel)).toBe(total(rows))
    const otpOnly = (await json(acme, '/analytics?group_by=label&label=otp')) as Array<{ label: string }>
    expect(otpOnly.map((r) => r.label)).toEqual(['otp'])
    const range = (await json(acme, '/analytics/date?start=2025-03-01&end=2025-03-03')) as Array<{
      date: string
    }>
    expect(range.map((r) => r.date)).toEqual(['2025-03-01', '2025-03-02', '2025-03-03'])
  })

  it('prices as JSON by default and as the CSV sms77-client parses', async () => {
    const de = (await json(acme, '/pricing?country=de')) as {
      countries: Array<{ networks: Array<{ networkName: string }> }>
    }
    expect(de.countries[0]?.networks.map((n) => n.networkName)).toContain('Vodafone GmbH')
    const csv = await text(acme, '/pricing?country=ch&format=csv')
    expect(csv.split('\n')[0]).toBe(
      '"countryCode";"countryName";"countryPrefix";"mcc";"mncs";"networkName";"price";"features";"comment"',
    )
    expect(csv).toContain(
      '"CH";"Switzerland";"41";"228";"01";"Swisscom";"0.069";"alpha,dlr,numeric,unicode";""',
    )
  })
})

describe('sms77 sandbox gateway: lookups, contacts, hooks, subaccounts, voice', () => {
  it('looks up legacy (object, or array for several numbers) and current (always an array)', async () => {
    const one = (await json(acme, '/lookup', {
      form: { type: 'format', number: '+4917612345678' },
    })) as Record<string, unknown>
    expect(one).toMatchObject({
      success: true,
      national: '0176 12345678',
      country_code: '49',
      carrier: expect.any(String),
    })
    const two = (await json(acme, '/lookup?type=hlr&number=%2B4915212345678,12')) as Array<
      Record<string, unknown>
    >
    expect(two.map((h) => [h.ported, h.valid_number])).toEqual([
      ['ported', 'valid'],
      ['unknown', 'not_valid'],
    ])
    expect(await text(acme, '/lookup?type=mnp&number=%2B4915112345678')).toBe('d1')
    expect(await text(acme, '/lookup?number=1')).toBe('304')
    const current = (await json(acme, '/lookup/format?number=%2B447700900123')) as Array<
      Record<string, unknown>
    >
    expect(current).toEqual([expect.objectContaining({ country_iso: 'GB', success: true })])
  })

  it('reads, writes and deletes legacy contacts; lists and creates current ones', async () => {
    const csv = await text(acme, '/contacts?action=read')
    expect(csv.split('\n')[0]).toBe('"1234501";"Lena Fischer";"4917612345678"')
    expect(await text(acme, '/contacts?action=write&nick=Max&empfaenger=4917000000000')).toMatch(/^152\n\d+$/)
    const id =
      (await text(acme, '/contacts?action=read')).split('\n').at(-1)?.split(';')[0]?.replace(/"/g, '') ?? ''
    expect(await text(acme, '/contacts', { form: { action: 'del', id } })).toBe('152')
    expect(await text(acme, '/contacts', { form: { action: 'del', id } })).toBe('151')
    const list = (await json(acme, '/contacts?limit=2')) as {
      data: unknown[]
      pagingMetadata: Record<string, unknown>
    }
    expect(list.pagingMetadata).toEqual({ offset: 0, count: 2, total: 4, limit: 2, has_more: true })
  })

  it('subscribes, reads and unsubscribes hooks, rejecting a bad target', async () => {
    expect(
      await json(acme, '/hooks', { form: { action: 'subscribe', target_url: 'ftp://x', event_type: 'dlr' } }),
    ).toEqual({
      success: false,
      error_message: 'Invalid target_url',
    })
    const sub = (await json(acme, '/hooks', {
      form: { target_url: 'https://h.example/x', event_type: 'all' },
    })) as { id: number }
    const read = (await json(acme, '/hooks?action=read')) as { hooks: Array<{ id: string }> }
    expect(read.hooks.map((h) => h.id)).toContain(String(sub.id))
    expect(await json(acme, `/hooks?id=${sub.id}`, { method: 'DELETE' })).toEqual({ success: true })
  })

  it('lists subaccounts and places voice calls (text 100\\n<id>\\n<cost>)', async () => {
    expect(await json(acme, '/subaccounts/read?id=412002')).toEqual([
      expect.objectContaining({ id: 412002, username: 'acme_marketing', balance: '125.0000' }),
    ])
    expect(await text(acme, '/voice', { form: { to: '+4917612345678', text: 'Hello' } })).toMatch(
      /^100\n\d{11}\n0\.045$/,
    )
    const validated = (await json(acme, '/validate_for_voice', { form: { number: '+4917612345678' } })) as {
      code: string
    }
    expect(validated.code).toMatch(/^\d{6}$/)
  })
})
