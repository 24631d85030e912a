import { describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import { journey, newPage, PASSWORD, shows, signUp, uniqueEmail, type E2eApp } from './harness.js'
import { totpAt } from '../helpers/totp.js'

let app: E2eApp
let browser: Browser

e2eSuite('staff-signin', (a, b) => {
  app = a
  browser = b
})

describe('staff sign-in in a browser (issue 23)', () => {
  it('sets up two-step sign-in, then signs in with a code from an independent TOTP', async () => {
    const email = uniqueEmail('two-step')
    await journey(browser, app, 'staff-signin-two-step', async (page) => {
      await signUp(page, 'Two Step Browser Ltd', email)
      await page.goto('/account')
      await page.getByRole('button', { name: 'Set up two-step sign-in' }).click()
      await page.waitForURL('**/account/two-step?**')
      await expectAccessible(page, 'two-step-setup')
      await shows(page.getByRole('img', { name: /QR code/ }))
      const secret = (await page.locator('code.secret-key').innerText()).replace(/\s/g, '')
      const code = page.getByLabel('Code')
      expect(await code.getAttribute('autocomplete')).toBe('one-time-code')
      expect(await code.getAttribute('inputmode')).toBe('numeric')
      await code.fill(totpAt(secret, Date.now()))
      await page.getByRole('button', { name: 'Turn on two-step sign-in' }).click()
      await shows(page.getByRole('heading', { name: 'Recovery codes' }))
      expect(await page.locator('ol.recovery-codes li').count()).toBe(10)
      await expectAccessible(page, 'recovery-codes')
      await page.getByRole('link', { name: 'Continue' }).click()
      await page.waitForURL('**/account')
      await shows(page.getByRole('button', { name: 'Turn off two-step sign-in' }))
      await page.getByRole('button', { name: 'Log out' }).click()
      await page.waitForURL('**/login?signed_out=1')

      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill(PASSWORD)
      await page.getByRole('button', { name: 'Sign in', exact: true }).click()
      await page.waitForURL('**/login/two-step')
      await expectAccessible(page, 'two-step')
      // Half signed in: the dashboard is not reachable yet.
      await page.goto('/dashboard')
      expect(new URL(page.url()).pathname).toBe('/login/two-step')
      // The set-up code's step is used up; the next step's code is within the allowed drift.
      await page.getByLabel('Code').fill(totpAt(secret, Date.now(), 1))
      await page.getByRole('button', { name: 'Verify' }).click()
      await page.waitForURL('**/dashboard')
      await page.goto('/account')
      await shows(page.getByRole('heading', { name: 'Active sessions' }))
      await shows(page.getByRole('button', { name: 'Sign out' }))
      await expectAccessible(page, 'account-two-step-on')
    })
  })

  it("signs in through the sandbox's identity provider; an unverified email is refused", async () => {
    await journey(browser, app, 'staff-signin-sso', async (page) => {
      await signUp(page, 'SSO Browser GmbH', uniqueEmail('sso-admin'))
      await page.goto('/admin/sso')
      await expectAccessible(page, 'admin-sso')
      await shows(page.getByText(`${app.baseUrl}/sso/callback`))
      expect(await page.getByLabel('Issuer URL').inputValue()).toBe(`${app.baseUrl}/sandbox/idp`)
      await page.getByRole('button', { name: 'Save single sign-on' }).click()
      await shows(page.getByText('Single sign-on is saved.'))
      expect(await page.getByLabel('Client secret').inputValue()).toBe('')

      const visitor = await newPage(browser, app.baseUrl)
      try {
        const p = visitor.page
        await p.goto('/login')
        await p.getByLabel('Email').fill('ada@sso.sandbox.test')
        await p.getByRole('button', { name: 'Continue with single sign-on' }).click()
        await p.waitForURL('**/sandbox/idp/interaction/**')
        await expectAccessible(p, 'idp-login')
        await p.getByRole('button', { name: 'Continue' }).click()
        await p.waitForURL('**/dashboard')
        await shows(p.getByText('ada@sso.sandbox.test'))
        expect(visitor.problems.messages).toEqual([])
      } finally {
        await visitor.context.close()
      }
      // Another browser: the identity provider's own session (Ada's) would sign her in again.
      const other = await newPage(browser, app.baseUrl)
      try {
        const p = other.page
        await p.goto('/login')
        await p.getByLabel('Email').fill('una@sso.sandbox.test')
        await p.getByRole('button', { name: 'Continue with single sign-on' }).click()
        await p.waitForURL('**/sandbox/idp/interaction/**')
        await p.getByLabel(/Una Verified/).check()
        await p.getByRole('button', { name: 'Continue' }).click()
        await p.waitForURL('**/sso/callback**')
        await shows(p.getByRole('heading', { name: 'Single sign-on failed' }))
        await shows(p.getByText('has not verified your email address'))
        await expectAccessible(p, 'sso-failed')
      } finally {
        await other.context.close()
      }
    })
  })
})
