import { describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import { DESKTOP, journey, PASSWORD, scopeBox, shows, uniqueEmail, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('languages', (a, b) => {
  app = a
  browser = b
})

const lang = (page: Page) => page.evaluate(() => document.documentElement.lang)

describe('German in a real browser (issue 18)', () => {
  it('a German browser signs up, connects sms77 through a German consent page, sees German money, signs out and in', async () => {
    await journey(
      browser,
      app,
      'languages-de-connect',
      async (page, problems) => {
        const email = uniqueEmail('deutsch')
        await page.goto('/signup')
        expect(await lang(page)).toBe('de')
        expect(await page.title()).toBe('Organisation erstellen · Switchboard')
        await expectAccessible(page, 'signup (de)')
        await page.getByLabel('Organisation').fill('Beispiel GmbH')
        await page.getByLabel('E-Mail').fill(email)
        await page.getByLabel('Passwort').fill(PASSWORD)
        await page.getByRole('button', { name: 'Organisation erstellen' }).click()
        await page.waitForURL('**/dashboard')
        expect(await lang(page)).toBe('de')
        await expectAccessible(page, 'dashboard empty (de)')

        // The scope tools too, so their German forms are checked by axe below.
        for (const scope of ['lookup', 'status', 'voice', 'validate_for_voice'])
          await scopeBox(page, scope).check()
        await page.getByRole('button', { name: 'sms77 verbinden' }).click()
        await page.waitForURL('**/sandbox/sms77/oauth/authorize**')
        expect(await lang(page)).toBe('de')
        expect(await page.getByRole('heading', { level: 1 }).innerText()).toContain('autorisieren')
        await shows(page.getByText('Guthaben abfragen'))
        await expectAccessible(page, 'sms77 consent (de)')
        await page.getByRole('button', { name: 'Erlauben', exact: true }).click()
        await page.waitForURL('**/dashboard')
        await shows(page.getByRole('status').filter({ hasText: 'sms77 verbunden' }))
        const card = page.getByRole('region', { name: 'sms77', exact: true }).first()
        await shows(card.getByText('verbunden', { exact: true }))
        // German money: decimal comma and the euro sign after the amount.
        expect(await card.getByRole('region', { name: 'Guthaben' }).first().innerText()).toMatch(
          /\d,\d{2}\s€/,
        )
        for (const button of [
          'Nummer nachschlagen',
          'Zustellbericht abrufen',
          'Sprachnachricht senden',
          'Absenderkennung bestätigen',
        ])
          await shows(card.getByRole('button', { name: button }))
        await expectAccessible(page, 'dashboard connected (de)')

        for (const [path, heading] of [
          ['/support', 'Verbundene Konten'],
          ['/admin/users', 'Personen Ihrer Organisation'],
          ['/admin/credentials', 'Zugangsdaten der Anbieter'],
          ['/account', 'Ihr Konto'],
        ]) {
          await page.goto(path!)
          expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(heading)
          await expectAccessible(page, `${path} (de)`)
        }

        // The header's Log out; /account's session list has its own Abmelden buttons.
        await page.getByRole('banner').getByRole('button', { name: 'Abmelden' }).click()
        await page.waitForURL('**/login**')
        expect(await page.title()).toBe('Anmelden · Switchboard')
        await shows(page.getByText('Sie sind abgemeldet. Melden Sie sich jederzeit wieder an.'))
        await expectAccessible(page, 'login (de)')
        await page.getByLabel('E-Mail').fill(email)
        await page.getByLabel('Passwort').fill(PASSWORD)
        await page.getByRole('button', { name: 'Anmelden' }).click()
        await page.waitForURL('**/dashboard')
        expect(problems.messages).toEqual([])
      },
      DESKTOP,
      'de-DE',
    )
  })

  it('an English browser switches to German in the footer without signing in, and back', async () => {
    await journey(browser, app, 'languages-footer', async (page, problems) => {
      await page.goto('/login')
      expect(await lang(page)).toBe('en')
      const switcher = page.getByRole('navigation', { name: 'Language' })
      await switcher.getByRole('link', { name: 'Deutsch' }).click()
      await page.waitForURL('**/login')
      expect(await lang(page)).toBe('de')
      await shows(page.getByRole('heading', { name: 'Anmelden' }))
      await expectAccessible(page, 'login after switching (de)')
      await page.goto('/forgot')
      expect(await lang(page)).toBe('de')
      await page.getByRole('navigation', { name: 'Sprache' }).getByRole('link', { name: 'English' }).click()
      await page.waitForURL('**/forgot')
      expect(await lang(page)).toBe('en')
      await shows(page.getByRole('heading', { name: 'Reset your password' }))
      expect(problems.messages).toEqual([])
    })
  })
})
