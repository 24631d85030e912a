import { describe, expect, it } from 'vitest'
import { e2eSuite, expectAccessible } from './suite.js'
import type { Browser } from 'playwright-core'
import {
  decide,
  journey,
  openSms77Consent,
  PASSWORD,
  scopeBox,
  screenshot,
  shows,
  signUp,
  type E2eApp,
  type PageProblems,
} from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('sms77', (a, b) => {
  app = a
  browser = b
})

function expectNoBrowserProblems(problems: PageProblems): void {
  expect(problems.messages).toEqual([])
}

describe('sms77 in a real browser', () => {
  it('sign up → connect sms77 (Allow) → account, balance, chart → send an SMS → disconnect → log out → log in', async () => {
    await journey(browser, app, 'sms77-allow', async (page, problems) => {
      await page.goto('/signup')
      expect(await page.title()).toMatch(/Create your organisation · Switchboard/)
      await expectAccessible(page, 'signup')
      const email = await signUp(page, 'Acme Browser Test')

      // Empty dashboard: the empty state and both Connect buttons.
      await shows(page.getByText('No account connected yet'))
      await shows(page.getByRole('button', { name: 'Connect Nexmo' }))
      await expectAccessible(page, 'dashboard (empty)')
      await screenshot(page, 'sms77-allow-0-empty-dashboard')

      // Tick scopes beyond the preselected ones, then Connect.
      await openSms77Consent(page, ['balance', 'analytics', 'journal', 'sms', 'pricing', 'subaccounts'])
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('Authorize')
      await expectAccessible(page, 'sms77 consent (sandbox)')
      await screenshot(page, 'sms77-allow-0-consent')
      await decide(page, 'Allow')

      const card = page.getByRole('region', { name: 'sms77', exact: true }).first()
      await shows(page.getByRole('status').filter({ hasText: 'sms77 connected' }))
      await shows(card.getByText('connected', { exact: true }))
      await shows(card.getByText('john.doe@acme.inc'))
      await shows(card.getByText('Acme Inc', { exact: true }))
      // Balance with its currency, in the profile and the balance panel.
      expect(await card.getByRole('region', { name: 'Balance' }).innerText()).toMatch(
        /\d[\d,.]*\s?(EUR|€)|(EUR|€)\s?\d/,
      )
      // The analytics chart is a server-rendered SVG with an accessible name and bars.
      const chart = card.locator('svg.chart')
      await shows(chart)
      expect(await chart.getAttribute('role')).toBe('img')
      expect(await chart.getAttribute('aria-label')).toMatch(/messages/)
      expect(await chart.locator('rect.bar').count()).toBeGreaterThan(5)
      // Granted scopes as chips.
      const chips = card.getByRole('list', { name: 'Granted permissions' })
      expect(await chips.getByRole('listitem').allInnerTexts()).toEqual(
        expect.arrayContaining(['balance', 'analytics', 'pricing', 'subaccounts']),
      )
      await expectAccessible(page, 'dashboard (sms77 connected)')
      await screenshot(page, 'sms77-allow-1-connected')

      // Send an SMS.
      const form = card.locator('form.send-sms')
      await form.getByLabel('To', { exact: true }).fill('+491701234567')
      await form.getByLabel('Message').fill('Hello from the browser test')
      await form.getByRole('button', { name: 'Send SMS' }).click()
      await page.waitForURL('**/dashboard')
      await shows(page.getByRole('status').filter({ hasText: 'Message sent to +491701234567' }))
      await expectAccessible(page, 'dashboard (after Send SMS)')
      await screenshot(page, 'sms77-allow-2-sent', false)

      // Disconnect.
      await page.getByRole('button', { name: 'Disconnect sms77' }).click()
      await page.waitForURL('**/dashboard')
      await shows(page.getByRole('status').filter({ hasText: 'sms77 disconnected' }))
      await shows(page.getByRole('button', { name: 'Connect sms77' }))
      await shows(scopeBox(page, 'balance'))

      // Log out, then sign in again through the login form.
      await page.getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL(/\/login\?signed_out=1$/)
      await shows(page.getByRole('status').filter({ hasText: 'You are signed out.' }))
      expect(await page.title()).toMatch(/Sign in · Switchboard/)
      await expectAccessible(page, 'login')
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForURL('**/dashboard')
      await shows(page.getByText(email))
      await page.getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL(/\/login\?signed_out=1$/)
      expectNoBrowserProblems(problems)
    })
  })

  it('Deny at the sms77 consent page shows "Access denied" and connects nothing', async () => {
    await journey(browser, app, 'sms77-deny', async (page, problems) => {
      await signUp(page)
      await openSms77Consent(page, ['balance'])
      await decide(page, 'Deny')
      await shows(page.getByRole('alert').filter({ hasText: 'Access denied' }))
      await shows(page.getByRole('button', { name: 'Connect sms77' }))
      expect(await page.getByRole('button', { name: 'Disconnect sms77' }).count()).toBe(0)
      await expectAccessible(page, 'dashboard (sms77 denied)')
      expectNoBrowserProblems(problems)
    })
  })
})
