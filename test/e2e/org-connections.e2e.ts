import { describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import { journey, newPage, shows, signUp, uniqueEmail, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('org-connections', (a, b) => {
  app = a
  browser = b
})

const COLLEAGUE_PASSWORD = 'a colleague password'

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(COLLEAGUE_PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL('**/dashboard')
}

async function sendShared(page: Page, text: string): Promise<void> {
  const form = page.locator('form[action="/shared/sms77/sms"]')
  await form.getByLabel('To').fill('+49 170 1234567')
  await form.getByLabel('Message').fill(text)
  await form.getByRole('button', { name: 'Send SMS' }).click()
  await page.waitForURL('**/dashboard')
}

describe('organisation connections in a browser (issue 22)', () => {
  it('an admin connects for the organisation and grants a colleague, who sends until the daily limit; the admin sees who sent', async () => {
    const colleague = uniqueEmail('colleague')
    await journey(browser, app, 'org-connections', async (page) => {
      await signUp(page, 'Shared Co')
      await page.getByRole('link', { name: 'Organisation connections' }).click()
      await page.waitForURL('**/admin/connections')
      await expectAccessible(page, 'admin connections empty')
      await page.getByRole('checkbox', { name: /^sms\b/ }).check()
      await page.getByRole('button', { name: 'Connect sms77 for the organisation' }).click()
      await page.waitForURL('**/sandbox/sms77/oauth/authorize**')
      await page.getByRole('button', { name: 'Allow', exact: true }).click()
      await page.waitForURL('**/admin/connections')
      await shows(page.getByRole('button', { name: 'Disconnect', exact: true }))

      // A colleague joins (added with a password) and is given access with a limit of one SMS.
      await page.goto('/admin/users')
      await page.locator('#new-email').fill(colleague)
      await page.locator('#new-password').fill(COLLEAGUE_PASSWORD)
      await page.getByRole('button', { name: 'Add user' }).click()
      await page.waitForURL('**/admin/users**')
      await page.goto('/admin/connections')
      const access = page.locator('form[action="/admin/connections/sms77/access"]')
      await access.getByLabel('Email').fill(colleague)
      expect(await access.getByLabel('May send').isChecked()).toBe(true)
      await access.getByLabel('Daily limit').fill('1')
      await access.getByRole('button', { name: 'Grant access' }).click()
      await page.waitForURL('**/admin/connections')
      await shows(page.getByRole('button', { name: `Remove access for ${colleague}` }))
      await expectAccessible(page, 'admin connections shared')

      const other = await newPage(browser, app.baseUrl)
      try {
        await signIn(other.page, colleague)
        await shows(other.page.getByText('Shared by Shared Co'))
        await expectAccessible(other.page, 'dashboard with a shared card')
        await sendShared(other.page, 'Hello from the team')
        await shows(other.page.getByRole('status').filter({ hasText: 'Sent' }))
        await sendShared(other.page, 'One more than allowed')
        await shows(other.page.getByText('Daily limit reached'))
        expect(await other.page.locator('form[action="/shared/sms77/sms"] textarea').inputValue()).toBe(
          'One more than allowed',
        )
      } finally {
        await other.context.close()
      }

      await page.goto('/admin/connections')
      const sent = page.locator('table.sent-messages')
      await shows(sent.getByText(colleague))
      expect(await sent.locator('tbody tr').count()).toBe(1)
    })
  })
})
