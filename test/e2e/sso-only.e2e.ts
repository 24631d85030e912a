import { describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import { journey, newPage, shows, signUp, uniqueEmail, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('sso-only', (a, b) => {
  app = a
  browser = b
})

describe('required single sign-on in a browser (issue 23)', () => {
  it('an invited person joins without a password and signs in through the identity provider', async () => {
    await journey(browser, app, 'sso-only-invite', async (page) => {
      await signUp(page, 'SSO Only GmbH', uniqueEmail('sso-only-admin'))
      await page.goto('/admin/sso')
      await page.getByLabel('Require single sign-on').check()
      await page.getByRole('button', { name: 'Save single sign-on' }).click()
      await shows(page.getByText('Single sign-on is saved.'))
      await page.goto('/admin/users')
      const form = page.locator('form[action="/admin/users/invite"]')
      await form.getByLabel('Email').fill('grace@sso.sandbox.test')
      await form.getByLabel('Role', { exact: true }).selectOption('support')
      await form.getByRole('button', { name: 'Send invitation' }).click()
      await page.waitForURL('**/admin/users')

      const { page: p, context, problems } = await newPage(browser, app.baseUrl)
      try {
        await p.goto('/sandbox/mail')
        const mail = p.locator('article.mail', {
          has: p.locator('.mail-to', { hasText: 'grace@sso.sandbox.test' }),
        })
        await mail.first().locator('a[href*="/invite/"]').first().click()
        await p.waitForURL('**/invite/**')
        await shows(p.getByText('you choose no password here'))
        expect(await p.locator('input[type="password"]').count()).toBe(0)
        await expectAccessible(p, 'invite-sso-only')
        await p.getByRole('button', { name: 'Accept invitation' }).click()
        await p.waitForURL('**/login')
        await shows(p.getByText('You joined SSO Only GmbH.'))
        await p.getByLabel('Email').fill('grace@sso.sandbox.test')
        await p.getByRole('button', { name: 'Continue with single sign-on' }).click()
        await p.waitForURL('**/sandbox/idp/interaction/**')
        await p.getByLabel(/Grace Hopper/).check()
        await p.getByRole('button', { name: 'Continue' }).click()
        await p.waitForURL('**/support')
        await shows(p.getByText('grace@sso.sandbox.test'))
        // No password to give: Delete my account is confirmed at the identity provider (issue 27).
        await p.goto('/account')
        expect(await p.locator('#delete-current-password').count()).toBe(0)
        await p.getByRole('button', { name: 'Confirm with single sign-on' }).click()
        await p.waitForURL('**/sandbox/idp/interaction/**')
        await p.getByLabel(/Grace Hopper/).check()
        await p.getByRole('button', { name: 'Continue' }).click()
        await shows(p.getByRole('heading', { name: 'Account deleted' }))
        await p.goto('/dashboard')
        await p.waitForURL('**/login')
        expect(problems.messages).toEqual([])
      } finally {
        await context.close()
      }
    })
  })
})
