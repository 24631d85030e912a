import { describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import { decide, journey, openSms77Consent, screenshot, shows, signUp, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('scope-tools', (a, b) => {
  app = a
  browser = b
})

describe('Every scope does something, in a real browser (issue 16 item 3)', () => {
  it('looks up a number and sends a voice message; a failed one keeps what was typed', async () => {
    await journey(browser, app, 'scope-tools', async (page, problems) => {
      await signUp(page)
      await openSms77Consent(page, ['lookup', 'voice', 'status', 'validate_for_voice'])
      await decide(page, 'Allow')
      const card = page.getByRole('region', { name: 'sms77', exact: true }).first()

      // Number lookup: HLR answers network, reachability and porting.
      const lookup = card.locator('#tool-sms77-lookup')
      await lookup.getByLabel('Phone number').fill('+49 176 12345678')
      await lookup.getByLabel('Look up').selectOption('hlr')
      await lookup.getByRole('button', { name: 'Look up number' }).click()
      await page.waitForURL('**/dashboard**')
      const result = card.getByRole('status').filter({ hasText: '+49 176 12345678' })
      await shows(result.filter({ hasText: 'a valid number' }))
      await shows(result.getByText('Reachable now'))
      await shows(result.getByText('Germany'))
      expect(await card.locator('#tool-sms77-lookup').getByLabel('Look up').inputValue()).toBe('hlr')

      // Voice: an impossible number comes back as typed, with the reason beside the form.
      const voice = card.locator('#tool-sms77-voice')
      await voice.getByLabel('To', { exact: true }).fill('+49 17')
      await voice.getByLabel('Text to read out').fill('Your table is ready.')
      await voice.getByRole('button', { name: 'Send voice message' }).click()
      await page.waitForURL('**/dashboard**')
      const again = card.locator('#tool-sms77-voice')
      await shows(
        again.getByRole('alert').filter({ hasText: 'Not sent: +49 17 is not a valid phone number' }),
      )
      expect(await again.getByLabel('To', { exact: true }).inputValue()).toBe('+49 17')
      expect(await again.getByLabel('Text to read out').inputValue()).toBe('Your table is ready.')
      await expectAccessible(page, 'dashboard (tool forms, failed voice message)')

      // Corrected, the call is placed and priced.
      await again.getByLabel('To', { exact: true }).fill('+49 176 12345678')
      await again.getByRole('button', { name: 'Send voice message' }).click()
      await page.waitForURL('**/dashboard**')
      await shows(
        card.getByRole('status').filter({
          hasText: /Voice message sent to \+4917612345678 \(id [^)]+\), cost 0\.045 EUR\. Balance now/,
        }),
      )
      expect(await card.locator('#tool-sms77-voice').getByLabel('Text to read out').inputValue()).toBe('')
      await screenshot(page, 'scope-tools-voice-sent')
      expect(problems.messages).toEqual([])
    })
  })
})
