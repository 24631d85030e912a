import { describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import {
  connectBoth,
  journey,
  overflowsSideways,
  PASSWORD,
  PHONE,
  screenshot,
  shows,
  uniqueEmail,
  type E2eApp,
} from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('phone-layout', (a, b) => {
  app = a
  browser = b
})

/** The column name each cell of the table's first row shows before its value on a phone (data-label). */
function cellLabels(page: Page, table: string): Promise<string[]> {
  return page.evaluate(
    (sel) =>
      [...document.querySelectorAll(`${sel} tbody tr:first-child td`)].map(
        (td) => getComputedStyle(td, '::before').content,
      ),
    table,
  )
}

/** Every visible button, link and field of `main` lies within the screen's width. */
async function everyActionOnScreen(page: Page, where: string): Promise<void> {
  const off = await page.evaluate(() => {
    const width = document.documentElement.clientWidth
    return [...document.querySelectorAll('main button, main a, main input:not([type=hidden]), main select')]
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && box.height > 0 && (box.left < 0 || box.right > width + 1))
      .map(({ el }) => (el.textContent || el.getAttribute('name') || el.tagName).trim())
  })
  expect(off, `${where}: actions off-screen`).toEqual([])
  expect(await overflowsSideways(page), `${where}: sideways scroll`).toBe(false)
}

describe('phone layout at 390×844 (issue 16)', () => {
  it('dashboard, support, users and audit: stacked rows, no sideways scroll, every action reachable', async () => {
    await journey(
      browser,
      app,
      'phone-layout',
      async (page, problems) => {
        await connectBoth(page, 'Acme Phone')
        await page.goto('/dashboard')
        await everyActionOnScreen(page, 'dashboard')
        await screenshot(page, 'phone-layout-0-dashboard')

        await page.goto('/admin/users')
        const add = page.locator('form[action="/admin/users"]')
        const other = uniqueEmail('phone')
        await add.getByLabel('Email').fill(other)
        await add.getByLabel('Password').fill(PASSWORD)
        await add.getByRole('button', { name: 'Add user' }).click()
        await page.waitForURL('**/admin/users')
        await shows(page.getByRole('button', { name: `Remove ${other}` }))
        await everyActionOnScreen(page, 'users')
        expect(await cellLabels(page, 'main table:not(.invitations)')).toEqual([
          '"Email"',
          '"Role"',
          '"Added"',
          'none',
        ])
        // The nav says which page this is.
        expect(await page.locator('nav a[aria-current="page"]').allInnerTexts()).toEqual(['Users'])
        await expectAccessible(page, 'admin users (phone, stacked)')
        await screenshot(page, 'phone-layout-1-users')

        await page.goto('/support')
        const refresh = page.getByRole('button', { name: /^Refresh balance of / }).first()
        await shows(refresh)
        await shows(page.locator('table.support td.num').first())
        expect(await page.locator('table.support td.num').first().innerText()).toMatch(/\d/)
        await everyActionOnScreen(page, 'support')
        await expectAccessible(page, 'support (phone, stacked)')
        await screenshot(page, 'phone-layout-2-support')

        await page.goto('/admin/audit')
        await everyActionOnScreen(page, 'audit')
        expect(await cellLabels(page, 'main table')).toEqual([
          '"When (UTC)"',
          '"Who"',
          '"What"',
          '"Details"',
          '"Accounts"',
        ])
        await screenshot(page, 'phone-layout-3-audit')
        expect(problems.messages).toEqual([])
      },
      PHONE,
    )
  })
})
