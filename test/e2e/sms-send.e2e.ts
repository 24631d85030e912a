import { describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import { decide, journey, openNexmoConsent, screenshot, shows, signUp, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('sms-send', (a, b) => {
  app = a
  browser = b
})

describe('Send SMS in a real browser (issue 16)', () => {
  it('a failed send keeps To, From and Message beside the error; a 3-part message is priced in full', async () => {
    await journey(browser, app, 'sms-send-parts', async (page, problems) => {
      await signUp(page)
      await openNexmoConsent(page)
      await decide(page, 'Allow')
      const card = page.getByRole('region', { name: 'Nexmo', exact: true }).first()
      const form = card.locator('form.send-sms')
      const text = 'A long message that needs three parts. '.repeat(10).trim()
      expect(text.length).toBeGreaterThan(306)

      // The live hint counts parts and encoding before sending.
      await form.getByLabel('Message').fill(text)
      await shows(form.getByText(/^3 parts, GSM-7/))
      await form.getByLabel('Message').fill('Grüße 👋')
      await shows(form.getByText(/^1 part, Unicode \(UCS-2\)/))

      // An impossible number: nothing is sent, the form comes back as typed.
      await form.getByLabel('To', { exact: true }).fill('+49 17')
      await form.getByLabel('From', { exact: true }).fill('Acme')
      await form.getByLabel('Message').fill(text)
      await form.getByRole('button', { name: 'Send SMS' }).click()
      await page.waitForURL('**/dashboard')
      const again = card.locator('form.send-sms')
      await shows(
        again
          .getByRole('alert')
          .filter({ hasText: 'Not sent: Check “To”: +49 17 is not a valid phone number' }),
      )
      expect(await again.getByLabel('To', { exact: true }).inputValue()).toBe('+49 17')
      expect(await again.getByLabel('From', { exact: true }).inputValue()).toBe('Acme')
      expect(await again.getByLabel('Message').inputValue()).toBe(text)
      await shows(again.getByText(/^3 parts, GSM-7/))
      await expectAccessible(page, 'dashboard (failed send)')
      await screenshot(page, 'sms-send-parts-0-failed')

      // Corrected, it goes out as three parts, each priced: 3 × 0.0333 EUR.
      await again.getByLabel('To', { exact: true }).fill('+49 170 1234567')
      await again.getByRole('button', { name: 'Send SMS' }).click()
      await page.waitForURL('**/dashboard')
      await shows(
        page.getByRole('status').filter({
          hasText: /Message sent to \+491701234567 with Nexmo .*3 parts, GSM-7, total cost 0\.0999 EUR/,
        }),
      )
      expect(await card.locator('form.send-sms').getByLabel('Message').inputValue()).toBe('')
      expect(problems.messages).toEqual([])
    })
  })
})
