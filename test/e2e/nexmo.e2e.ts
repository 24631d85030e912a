import { describe, expect, it } from 'vitest'
import { e2eSuite, expectAccessible } from './suite.js'
import type { Browser } from 'playwright-core'
import { decide, journey, openNexmoConsent, screenshot, shows, signUp, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('nexmo', (a, b) => {
  app = a
  browser = b
})

describe('Nexmo in a real browser', () => {
  it('Connect Nexmo → Allow → balance on the dashboard → Disconnect Nexmo → log out', async () => {
    await journey(browser, app, 'nexmo-allow', async (page, problems) => {
      await signUp(page)
      await openNexmoConsent(page)
      expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('Authorize')
      await expectAccessible(page, 'Nexmo consent (sandbox)')
      await screenshot(page, 'nexmo-allow-0-consent')
      await decide(page, 'Allow')

      const card = page.getByRole('region', { name: 'Nexmo', exact: true }).first()
      await shows(page.getByRole('status').filter({ hasText: 'Nexmo connected' }))
      await shows(card.getByText('connected', { exact: true }))
      expect(await card.innerText()).toMatch(/Balance[\s\S]*\d[\d,.]*\s?(EUR|€)/i)
      await expectAccessible(page, 'dashboard (Nexmo connected)')
      await screenshot(page, 'nexmo-allow-1-connected')

      await page.getByRole('button', { name: 'Disconnect Nexmo' }).click()
      await page.waitForURL('**/dashboard')
      await shows(page.getByRole('status').filter({ hasText: 'Nexmo disconnected' }))
      await shows(page.getByRole('button', { name: 'Connect Nexmo' }))

      await page.getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL(/\/login\?signed_out=1$/)
      expect(problems.messages).toEqual([])
    })
  })

  it('Deny at the Nexmo consent page shows "Access denied"', async () => {
    await journey(browser, app, 'nexmo-deny', async (page, problems) => {
      await signUp(page)
      await openNexmoConsent(page)
      await decide(page, 'Deny')
      await shows(page.getByRole('alert').filter({ hasText: 'Access denied' }))
      expect(await page.getByRole('button', { name: 'Disconnect Nexmo' }).count()).toBe(0)
      await expectAccessible(page, 'dashboard (Nexmo denied)')
      expect(problems.messages).toEqual([])
    })
  })
})
