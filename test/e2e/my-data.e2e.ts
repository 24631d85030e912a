import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import { journey, PASSWORD, shows, signUp, uniqueEmail, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('my-data', (a, b) => {
  app = a
  browser = b
})

describe("a person's own data in a browser (issue 27)", () => {
  it('Download my data gives the JSON file; Change email takes effect from the link mailed to the new address', async () => {
    const next = uniqueEmail('moved')
    await journey(browser, app, 'my-data', async (page) => {
      const email = await signUp(page, 'My Data Ltd')
      await page.goto('/account')
      await expectAccessible(page, 'account with own data')

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download my data' }).click(),
      ])
      expect(download.suggestedFilename()).toBe('switchboard-my-data.json')
      const data = JSON.parse(await readFile((await download.path())!, 'utf8')) as {
        profile: { email: string; organisation: { name: string } }
      }
      expect(data.profile.email).toBe(email)
      expect(data.profile.organisation.name).toBe('My Data Ltd')

      const form = page.locator('form[action="/account/email"]')
      await form.getByLabel('New email').fill(next)
      await form.getByLabel('Current password').fill(PASSWORD)
      await form.getByRole('button', { name: 'Change email' }).click()
      await page.waitForURL('**/account')
      await shows(page.getByText(`We sent a confirmation link to ${next}.`))
      // Not changed yet: the page still names the old address.
      await shows(page.getByText(email))

      await page.goto('/sandbox/mail')
      const notice = page.locator('article.mail', { has: page.locator('.mail-to', { hasText: email }) })
      await shows(notice.getByText(next))
      const mail = page.locator('article.mail', { has: page.locator('.mail-to', { hasText: next }) }).first()
      await mail.locator('a[href*="/account/email/confirm/"]').first().click()
      await page.waitForURL('**/account/email/confirm/**')
      await expectAccessible(page, 'confirm email')
      await page.getByRole('button', { name: 'Change email' }).click()
      await page.waitForURL('**/account')
      await shows(page.getByText(`Your email address is now ${next}.`))
    })
  })
})
