import { describe, expect, it } from 'vitest'
import { e2eSuite, expectAccessible } from './suite.js'
import type { Browser, Page } from 'playwright-core'
import {
  decide,
  DESKTOP,
  journey,
  openSms77Consent,
  overflowsSideways,
  PASSWORD,
  PHONE,
  screenshot,
  shows,
  signUp,
  uniqueEmail,
  type E2eApp,
} from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('support-admin', (a, b) => {
  app = a
  browser = b
})

async function logIn(page: Page, email: string): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

describe('support console and administration in a real browser', () => {
  it('admin adds a support user; support sees the account and its balance; admin pages are guarded', async () => {
    await journey(browser, app, 'support-admin', async (page, problems) => {
      const adminEmail = await signUp(page, 'Acme Support Test')
      await openSms77Consent(page, ['balance', 'analytics'])
      await decide(page, 'Allow')
      await shows(page.getByRole('button', { name: 'Disconnect sms77' }))

      // Admin: Users → Add a user with role support.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click()
      await page.waitForURL('**/admin/users')
      await expectAccessible(page, 'admin users')
      const supportEmail = uniqueEmail('support')
      const add = page.locator('form[action="/admin/users"]')
      await add.getByLabel('Email').fill(supportEmail)
      await add.getByLabel('Password').fill(PASSWORD)
      await add.getByLabel('Role', { exact: true }).selectOption('support')
      await add.getByRole('button', { name: 'Add user' }).click()
      await page.waitForURL('**/admin/users')
      await shows(page.getByRole('status').filter({ hasText: `${supportEmail} was added as support` }))
      await shows(page.getByRole('cell', { name: supportEmail }))
      await expectAccessible(page, 'admin users (user added)')
      await screenshot(page, 'support-admin-0-users', false)
      await page.setViewportSize(PHONE)
      expect(await overflowsSideways(page)).toBe(false)
      await expectAccessible(page, 'admin users (phone)')
      await screenshot(page, 'support-admin-0-users-phone')
      await page.setViewportSize(DESKTOP)

      await page.goto('/admin/credentials')
      await shows(page.getByRole('heading', { name: 'Provider credentials' }))
      await expectAccessible(page, 'admin credentials')
      await page.goto('/admin/audit')
      await shows(page.getByText('Added a person'))
      await expectAccessible(page, 'admin audit log')
      await page.setViewportSize(PHONE)
      expect(await overflowsSideways(page)).toBe(false)
      await expectAccessible(page, 'admin audit log (phone)')
      await page.setViewportSize(DESKTOP)

      await page.getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL(/\/login\?signed_out=1$/)

      // Support: lands on the console and sees the admin's sms77 account with its balance.
      await logIn(page, supportEmail)
      await page.waitForURL('**/support')
      const row = page.getByRole('row').filter({ hasText: adminEmail }).filter({ hasText: 'sms77' })
      await shows(row)
      // Balances are read in the background; the page says so until they are in.
      for (let i = 0; i < 20 && !/\d\s?EUR|€/.test(await row.innerText()); i++) {
        await page.waitForTimeout(250)
        await page.reload()
      }
      expect(await row.innerText()).toMatch(/connected/)
      expect(await row.innerText()).toMatch(/\d[\d,.]*\s?(EUR|€)|(EUR|€)\s?\d/)
      await expectAccessible(page, 'support console')
      await screenshot(page, 'support-admin-1-console')
      await page.setViewportSize(PHONE)
      expect(await overflowsSideways(page)).toBe(false)
      await expectAccessible(page, 'support console (phone)')
      await screenshot(page, 'support-admin-1-console-phone')
      await page.setViewportSize(DESKTOP)

      await page.getByLabel('Search by email or company').fill('Acme Inc')
      await page.getByRole('button', { name: 'Search' }).click()
      await page.waitForURL('**/support?**')
      await shows(page.getByRole('row').filter({ hasText: adminEmail }))
      await expectAccessible(page, 'support console (search)')

      // Support is read-only: the admin pages answer a friendly 403.
      const denied = await page.goto('/admin/users')
      expect(denied?.status()).toBe(403)
      expect(await page.title()).toMatch(/No access · Switchboard/)
      await expectAccessible(page, 'error 403')
      await screenshot(page, 'support-admin-2-forbidden')
      expect(problems.messages).toEqual([])
    })
  })
})
