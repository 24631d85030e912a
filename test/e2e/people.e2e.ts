import { describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import { journey, newPage, PASSWORD, shows, signUp, uniqueEmail, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('people', (a, b) => {
  app = a
  browser = b
})

/** Opens the sandbox outbox and follows the newest link to `to` under `path`. */
async function followMailLink(page: Page, to: string, path: '/reset/' | '/invite/'): Promise<void> {
  await page.goto('/sandbox/mail')
  const mail = page.locator('article.mail', { has: page.locator('.mail-to', { hasText: to }) }).first()
  await shows(mail)
  const link = mail.locator(`a[href*="${path}"]`).first()
  await link.click()
  await page.waitForURL(`**${path}**`)
}

describe('people and accounts in a browser (issue 15)', () => {
  it('forgot password → mail in the sandbox outbox → new password → signed in with it', async () => {
    const email = uniqueEmail('forgetful')
    const first = await newPage(browser, app.baseUrl)
    await signUp(first.page, 'Forgetful Ltd', email)
    await journey(browser, app, 'people-reset', async (page) => {
      await page.goto('/login')
      await page.getByRole('link', { name: 'Forgot your password?' }).click()
      await page.waitForURL('**/forgot')
      await expectAccessible(page, 'forgot')
      await page.getByLabel('Email').fill(email)
      await page.getByRole('button', { name: 'Send reset link' }).click()
      await shows(page.getByText('If an account uses that address, a reset link is on its way'))
      await followMailLink(page, email, '/reset/')
      await expectAccessible(page, 'reset')
      await page.getByLabel('New password').fill('a fresh new password')
      await page.getByRole('button', { name: 'Set password' }).click()
      await page.waitForURL('**/login')
      await shows(page.getByText('Your password is set. Sign in with it.'))
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill('a fresh new password')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.waitForURL('**/dashboard')
      // The session signed in before the reset has ended.
      await first.page.goto('/dashboard')
      expect(new URL(first.page.url()).pathname).toBe('/login')
      await page.goto('/account')
      await shows(page.getByText('Forgetful Ltd'))
      await expectAccessible(page, 'account')
    })
    await first.context.close()
  })

  it('an admin invites a support person who joins from the mail; Remove asks before it acts', async () => {
    const invitee = uniqueEmail('invitee')
    await journey(browser, app, 'people-invite', async (page) => {
      await signUp(page, 'Inviting Inc')
      await page.goto('/admin/users')
      const form = page.locator('form[action="/admin/users/invite"]')
      await form.getByLabel('Email').fill(invitee)
      await form.getByLabel('Role', { exact: true }).selectOption('support')
      await form.getByRole('button', { name: 'Send invitation' }).click()
      await page.waitForURL('**/admin/users')
      await shows(page.getByText(`Invitation sent to ${invitee} (support).`))
      await shows(page.getByRole('button', { name: `Resend the invitation of ${invitee}` }))
      await expectAccessible(page, 'admin users with a pending invitation')

      const other = await newPage(browser, app.baseUrl)
      try {
        await followMailLink(other.page, invitee, '/invite/')
        await shows(other.page.getByRole('heading', { name: 'Join Inviting Inc' }))
        await other.page.getByLabel('New password').fill(PASSWORD)
        await other.page.getByRole('button', { name: 'Set password' }).click()
        await other.page.waitForURL('**/support')
      } finally {
        await other.context.close()
      }

      await page.goto('/admin/users')
      const remove = page.getByRole('button', { name: `Remove ${invitee}` })
      await shows(remove)
      // No: nothing is sent and the person stays.
      page.removeAllListeners('dialog')
      const asked: string[] = []
      page.once('dialog', (d) => {
        asked.push(d.message())
        void d.dismiss()
      })
      await remove.click()
      await page.waitForTimeout(300)
      expect(asked).toEqual([`Remove ${invitee}, with their connections and sessions?`])
      await shows(remove)
      // Yes: the same form posts as it always did.
      page.once('dialog', (d) => void d.accept())
      await remove.click()
      await shows(page.getByText(`${invitee} was removed, with their connections and sessions.`))
    })
  })
})
