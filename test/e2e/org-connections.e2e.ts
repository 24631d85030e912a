import { describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import { DESKTOP, journey, newPage, PASSWORD, shows, uniqueEmail, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('org-connections', (a, b) => {
  app = a
  browser = b
})

const COLLEAGUE_PASSWORD = 'a colleague password'

/** The journey's words in each language, as locales/<lang>/*.json have them (issue 22 item 7). */
const WORDS = {
  en: {
    locale: 'en-GB',
    organisation: 'Shared Co',
    orgField: 'Organization',
    email: 'Email',
    password: 'Password',
    createOrganisation: 'Create organisation',
    signIn: 'Sign in',
    navLink: 'Organisation connections',
    connect: 'Connect sms77 for the organisation',
    allow: 'Allow',
    disconnect: 'Disconnect',
    addUser: 'Add user',
    maySend: 'May send',
    dailyLimit: 'Daily limit',
    grant: 'Grant access',
    removeAccess: (email: string) => `Remove access for ${email}`,
    sharedBy: (org: string) => `Shared by ${org}`,
    to: 'To',
    message: 'Message',
    sendSms: 'Send SMS',
    sent: 'Message sent',
    limitReached: 'Daily limit reached',
  },
  de: {
    locale: 'de-DE',
    organisation: 'Geteilt GmbH',
    orgField: 'Organisation',
    email: 'E-Mail',
    password: 'Passwort',
    createOrganisation: 'Organisation erstellen',
    signIn: 'Anmelden',
    navLink: 'Verbindungen der Organisation',
    connect: 'sms77 für die Organisation verbinden',
    allow: 'Erlauben',
    disconnect: 'Trennen',
    addUser: 'Person hinzufügen',
    maySend: 'Darf senden',
    dailyLimit: 'Tageslimit',
    grant: 'Zugriff gewähren',
    removeAccess: (email: string) => `Zugriff entziehen (${email})`,
    sharedBy: (org: string) => `Geteilt von ${org}`,
    to: 'An',
    message: 'Nachricht',
    sendSms: 'SMS senden',
    sent: 'gesendet',
    limitReached: 'Tageslimit erreicht',
  },
} as const
type Words = (typeof WORDS)[keyof typeof WORDS]

const lang = (page: Page) => page.evaluate(() => document.documentElement.lang)

async function signUp(page: Page, w: Words): Promise<void> {
  await page.goto('/signup')
  await page.getByLabel(w.orgField, { exact: true }).fill(w.organisation)
  await page.getByLabel(w.email, { exact: true }).fill(uniqueEmail('org-admin'))
  await page.getByLabel(w.password, { exact: true }).fill(PASSWORD)
  await page.getByRole('button', { name: w.createOrganisation }).click()
  await page.waitForURL('**/dashboard')
}

async function signIn(page: Page, w: Words, email: string): Promise<void> {
  await page.goto('/login')
  await page.getByLabel(w.email, { exact: true }).fill(email)
  await page.getByLabel(w.password, { exact: true }).fill(COLLEAGUE_PASSWORD)
  await page.getByRole('button', { name: w.signIn, exact: true }).click()
  await page.waitForURL('**/dashboard')
}

async function sendShared(page: Page, w: Words, text: string): Promise<void> {
  const form = page.locator('form[action="/shared/sms77/sms"]')
  await form.getByLabel(w.to, { exact: true }).fill('+49 170 1234567')
  await form.getByLabel(w.message, { exact: true }).fill(text)
  await form.getByRole('button', { name: w.sendSms }).click()
  await page.waitForURL('**/dashboard')
}

describe('organisation connections in a browser (issue 22)', () => {
  for (const [code, w] of Object.entries(WORDS))
    it(`an admin connects for the organisation and grants a colleague, who sends until the daily limit; the admin sees who sent (${code})`, async () => {
      const colleague = uniqueEmail(`colleague-${code}`)
      await journey(
        browser,
        app,
        `org-connections-${code}`,
        async (page, problems) => {
          await signUp(page, w)
          expect(await lang(page)).toBe(code)
          await page.getByRole('link', { name: w.navLink }).click()
          await page.waitForURL('**/admin/connections')
          await expectAccessible(page, `admin connections empty (${code})`)
          await page.getByRole('checkbox', { name: /^sms\b/ }).check()
          await page.getByRole('button', { name: w.connect }).click()
          await page.waitForURL('**/sandbox/sms77/oauth/authorize**')
          await page.getByRole('button', { name: w.allow, exact: true }).click()
          await page.waitForURL('**/admin/connections')
          await shows(page.getByRole('button', { name: w.disconnect, exact: true }))

          // A colleague joins (added with a password) and is given access with a limit of one SMS.
          await page.goto('/admin/users')
          await page.locator('#new-email').fill(colleague)
          await page.locator('#new-password').fill(COLLEAGUE_PASSWORD)
          await page.getByRole('button', { name: w.addUser }).click()
          await page.waitForURL('**/admin/users**')
          await page.goto('/admin/connections')
          const access = page.locator('form[action="/admin/connections/sms77/access"]')
          await access.getByLabel(w.email, { exact: true }).fill(colleague)
          expect(await access.getByLabel(w.maySend, { exact: true }).isChecked()).toBe(true)
          await access.getByLabel(w.dailyLimit, { exact: true }).fill('1')
          await access.getByRole('button', { name: w.grant }).click()
          await page.waitForURL('**/admin/connections')
          await shows(page.getByRole('button', { name: w.removeAccess(colleague) }))
          await expectAccessible(page, `admin connections shared (${code})`)

          const other = await newPage(browser, app.baseUrl, DESKTOP, w.locale)
          try {
            await signIn(other.page, w, colleague)
            expect(await lang(other.page)).toBe(code)
            await shows(other.page.getByText(w.sharedBy(w.organisation)))
            await expectAccessible(other.page, `dashboard with a shared card (${code})`)
            await sendShared(other.page, w, 'Hello from the team')
            await shows(other.page.getByRole('status').filter({ hasText: w.sent }))
            await sendShared(other.page, w, 'One more than allowed')
            await shows(other.page.getByText(w.limitReached))
            expect(await other.page.locator('form[action="/shared/sms77/sms"] textarea').inputValue()).toBe(
              'One more than allowed',
            )
            expect(other.problems.messages).toEqual([])
          } finally {
            await other.context.close()
          }

          await page.goto('/admin/connections')
          const sent = page.locator('table.sent-messages')
          await shows(sent.getByText(colleague))
          expect(await sent.locator('tbody tr').count()).toBe(1)
          expect(problems.messages).toEqual([])
        },
        DESKTOP,
        w.locale,
      )
    })
})
