/**
 * Issue 29 item 3: times and money in the person's zone and language everywhere, provider
 * timestamps included (journal, delivery reports), through one formatter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import { formatterFor } from '../src/i18n/format.js'
import { parseProviderTime, timeCell } from '../src/providers/provider-time.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'one-formatter' })
})
afterAll(() => t.close())

const AT = Date.UTC(2026, 11, 4, 14, 48, 24)

describe('one formatter for times (issue 29)', () => {
  it('reads provider times as instants, and leaves what it cannot read as it came', () => {
    expect(parseProviderTime('2026-12-04 14:48:24.000')).toBe(AT)
    expect(parseProviderTime('2026-12-04 14:48:24')).toBe(AT)
    expect(parseProviderTime('2026-12-04T15:48:24+01:00')).toBe(AT)
    expect(parseProviderTime('2026-12-04T14:48:24Z')).toBe(AT)
    expect(parseProviderTime('yesterday')).toBeUndefined()
    expect(parseProviderTime(42)).toBeUndefined()
    expect(timeCell('2026-12-04 14:48:24.000')).toEqual({ at: AT })
    expect(timeCell('soon')).toBe('soon')
  })

  it('writes one form per language in every zone', () => {
    expect(formatterFor('en').dateTime(AT)).toBe('2026-12-04 14:48:24')
    expect(formatterFor('en', 'Europe/Berlin').dateTime(AT)).toBe('2026-12-04 15:48:24')
    expect(formatterFor('en', 'America/New_York').minute(AT)).toBe('2026-12-04 09:48')
    expect(formatterFor('de', 'Europe/Berlin').dateTime(AT)).toBe('04.12.2026, 15:48:24')
    expect(formatterFor('de').dateTime(AT)).toBe('04.12.2026, 14:48:24')
    expect(formatterFor('de', 'Europe/Berlin').value({ at: AT })).toBe('04.12.2026, 15:48')
    expect(formatterFor('de', 'Europe/Berlin').when(AT)).toBe('04.12.2026, 15:48:24')
    expect(formatterFor('de').when('kaputt')).toBe('kaputt')
    expect(formatterFor('de').money({ amount: 1234.5, currency: 'EUR' })).toBe('1.234,50\u00a0€')
  })

  it('makes each language and zone’s formatter once (every page asks for one), frozen, a zone it does not know read as UTC', () => {
    expect(formatterFor('de', 'Europe/Berlin')).toBe(formatterFor('de', 'Europe/Berlin'))
    expect(formatterFor('de', 'Europe/Berlin')).not.toBe(formatterFor('de', 'Europe/Paris'))
    expect(formatterFor('de', 'Europe/Berlin')).not.toBe(formatterFor('en', 'Europe/Berlin'))
    expect(Object.isFrozen(formatterFor('en'))).toBe(true)
    const unknown = formatterFor('en', 'Mars/Olympus_Mons')
    expect(unknown).toBe(formatterFor('en', 'Mars/Olympus_Mons'))
    expect(unknown.zone).toBe('UTC')
    expect(unknown.dateTime(AT)).toBe('2026-12-04 14:48:24')
  })

  it('shows the journal and the delivery reports in the reader’s language, never as raw provider strings', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent, ['journal', 'status', 'balance'])
    const page = (await agent.get('/dashboard').set('Accept-Language', 'de').expect(200)).text
    const panel = (id: string) => {
      const start = page.indexOf(`aria-labelledby="panel-sms77-${id} `)
      expect(start, id).toBeGreaterThan(0)
      return page.slice(start, page.indexOf('</section>', start))
    }
    for (const id of ['journal', 'status']) {
      const html = panel(id)
      expect(html, id).toMatch(/<td[^>]*>\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}/)
      expect(html, id).not.toMatch(/\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/)
    }
  })

  it('shows a subaccount’s balance as money, not the provider’s four decimals', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent, ['subaccounts'])
    const page = (await agent.get('/dashboard').expect(200)).text
    expect(page).toContain('>125.00 EUR</td>')
    expect(page).not.toContain('125.0000')
    const german = (await agent.get('/dashboard').set('Accept-Language', 'de').expect(200)).text
    expect(german).toContain('>125,00\u00a0€</td>')
  })
})
