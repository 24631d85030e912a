/**
 * Issue 24 item 6: in Chromium, support (here an admin, who may too) sends a reconnect link
 * for a connection that needs reconnect; the mail goes over real SMTP to a loopback sink; a
 * mail scanner opening the link changes nothing; the owner opens it, reconnects through the
 * sandbox's consent page, and the connection is the same one (same id, its name kept),
 * connected again, and the link is used up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startSmtpSink } from '../helpers/smtp-sink.js'
import { e2eSuite, expectAccessible } from './suite.js'
import { journey, newPage, scopeBox, shows, signUp, uniqueEmail, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser
let sink: Awaited<ReturnType<typeof startSmtpSink>>

beforeAll(async () => {
  sink = await startSmtpSink()
})
afterAll(async () => {
  await sink?.close()
})
e2eSuite(
  'reconnect-link',
  (a, b) => {
    app = a
    browser = b
  },
  () => ({ SMTP_URL: sink.url }),
)

const OWNER_PASSWORD = 'an owner password'
const LINK = /http:\/\/127\.0\.0\.1:\d+\/reconnect\/[A-Za-z0-9_-]{43}/

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/login')
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(OWNER_PASSWORD)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await page.waitForURL('**/dashboard')
}

const sms77Card = (page: Page) => page.getByRole('region', { name: 'sms77', exact: true }).first()

describe('a reconnect link in a browser (issue 24)', () => {
  it('support sends it, a scanner changes nothing, the owner reconnects the same connection', async () => {
    const ownerEmail = uniqueEmail('link-owner')
    await journey(browser, app, 'reconnect-link', async (admin, problems) => {
      await signUp(admin, 'Relink Ltd')
      await admin.goto('/admin/users')
      await admin.locator('#new-email').fill(ownerEmail)
      await admin.locator('#new-password').fill(OWNER_PASSWORD)
      await admin.getByRole('button', { name: 'Add user' }).click()
      await admin.waitForURL('**/admin/users**')

      const owner = await newPage(browser, app.baseUrl)
      try {
        // The owner connects sms77 and names the connection.
        await signIn(owner.page, ownerEmail)
        await scopeBox(owner.page, 'balance').check()
        await owner.page.getByRole('button', { name: 'Connect sms77' }).click()
        await owner.page.waitForURL('**/sandbox/sms77/oauth/authorize**')
        await owner.page.getByRole('button', { name: 'Allow', exact: true }).click()
        await owner.page.waitForURL('**/dashboard')
        const card = sms77Card(owner.page)
        await card.getByText('Name this connection').click()
        await card.getByLabel('Name', { exact: true }).fill('Shop Berlin')
        await card.getByRole('button', { name: 'Save name' }).click()
        await owner.page.waitForURL('**/dashboard**')

        // The grant dies at sms77; Refresh finds it out.
        app.sandbox.revokeSms77RefreshTokens()
        app.sandbox.expireSms77AccessTokens()
        await owner.page.getByRole('button', { name: 'Refresh' }).click()
        await owner.page.waitForURL('**/dashboard')
        await shows(sms77Card(owner.page).getByText('needs reconnect', { exact: true }))

        // Support (an admin may too) opens the connection from the console and sends the link.
        await admin.goto('/support')
        await admin.getByRole('link', { name: ownerEmail }).click()
        await admin.waitForURL('**/support/connections/sms77_*')
        const connectionPage = admin.url()
        const id = connectionPage.split('/').pop()!
        await shows(admin.getByText('needs reconnect').first())
        await expectAccessible(admin, 'support connection page')
        await admin.getByRole('button', { name: 'Send reconnect link' }).click()
        await admin.waitForURL(connectionPage)
        await shows(admin.getByText(`Reconnect link sent to ${ownerEmail}`))

        const mail = await sink.mailTo(ownerEmail)
        expect(mail.subject).toBe('Reconnect your sms77 account')
        const link = LINK.exec(mail.text)?.[0]
        expect(link, mail.text).toBeDefined()

        // A mail scanner (no session) opens it: it is sent to sign in, nothing changes.
        const scanner = await newPage(browser, app.baseUrl)
        try {
          await scanner.page.goto(link!)
          await scanner.page.waitForURL('**/login')
        } finally {
          await scanner.context.close()
        }

        // The owner opens it: the page names provider and account; Reconnect starts the flow.
        await owner.page.goto(link!)
        await shows(owner.page.getByRole('heading', { name: 'Reconnect sms77' }))
        await shows(owner.page.getByText('Shop Berlin'))
        await expectAccessible(owner.page, 'reconnect link page')
        await owner.page.getByRole('button', { name: 'Reconnect sms77' }).click()
        await owner.page.waitForURL('**/sandbox/sms77/oauth/authorize**')
        await owner.page.getByRole('button', { name: 'Allow', exact: true }).click()
        await owner.page.waitForURL('**/dashboard')
        const after = sms77Card(owner.page)
        await shows(after.getByText('connected', { exact: true }))
        await shows(after.getByText('Shop Berlin'))

        // Used up.
        await owner.page.goto(link!)
        await shows(owner.page.getByRole('heading', { name: 'This link no longer works' }))
        expect(owner.problems.messages.filter((m) => !m.includes('404'))).toEqual([])

        // The same connection: the same id in the console, connected, with its history.
        await admin.goto('/support')
        await admin.getByRole('link', { name: ownerEmail }).click()
        await admin.waitForURL(`**/support/connections/${id}`)
        const events = admin.locator('table tbody tr td:nth-child(2)')
        expect(await events.allInnerTexts()).toEqual(
          expect.arrayContaining(['connected', 'needs reconnect: grant expired']),
        )
        await shows(admin.locator('.badge.ok', { hasText: 'connected' }))
      } finally {
        await owner.context.close()
      }
      expect(problems.messages).toEqual([])
    })
  })
})
