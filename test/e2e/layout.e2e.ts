/**
 * Issue 29 items 8 and 10: every page a person can reach, in English and German, at 1280 and
 * 390 px, in Chromium. Fails on sideways scrolling, main controls whose boxes overlap or touch,
 * raw translation keys and machine codes in visible text. Screenshots of each page land in
 * test-results/e2e/layout-<lang>-<width>-<page>.png (look at them: the checks are not eyes).
 */
import { describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { missingKeys } from '../../src/i18n/catalogue.js'
import { e2eSuite } from './suite.js'
import {
  connectBoth,
  DESKTOP,
  newPage,
  PASSWORD,
  PHONE,
  screenshot,
  shows,
  uniqueEmail,
  type E2eApp,
} from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('layout', (a, b) => {
  app = a
  browser = b
})

const WIDTHS = [DESKTOP, PHONE]
const SIGNED_OUT = ['/login', '/signup', '/forgot', '/no-such-page']
const SIGNED_IN = [
  '/dashboard',
  '/account',
  '/account/two-step',
  '/admin/users',
  '/admin/connections',
  '/admin/credentials',
  '/admin/settings',
  '/admin/api-keys',
  '/admin/sso',
  '/admin/audit',
  '/support',
  '/api/docs',
  '/no-such-page',
]

/** What one page's checks found; empty lists mean the page is fine. */
interface Findings {
  overflow: string[]
  overlaps: string[]
  keys: string[]
  codes: string[]
}

/**
 * Runs in the page. Deterministic: it reads layout boxes and text only.
 * - overflow: the document is wider than the window.
 * - overlaps: two main controls (visible button, field, select, textarea, a.button, h1-h3 in
 *   <main>, neither inside the other) whose boxes intersect by more than 1 px both ways, or
 *   lie one above the other (sharing more than 1 px of width) with less than 4 px between them.
 * - keys: visible text like `admin:users.heading` or `layout.role.admin` (a missing label).
 * - codes: visible snake_case words like `csrf_failed` or `admin.user_invited`.
 * - keys also: a phone table's column name (td::before) that is not the cell's data-label.
 */
function inspect(): Findings {
  const doc = document.documentElement
  const overflow: string[] = []
  if (doc.scrollWidth > doc.clientWidth) {
    // Name the outermost elements that stick out, so the message points at the culprit.
    const wide = [...document.body.querySelectorAll('*')].filter(
      (el) => el.getBoundingClientRect().right > doc.clientWidth + 1,
    )
    const outermost = wide.filter((el) => !wide.some((o) => o !== el && o.contains(el))).slice(0, 3)
    overflow.push(
      `scrollWidth ${doc.scrollWidth} > clientWidth ${doc.clientWidth}: ` +
        outermost.map((el) => `${el.tagName.toLowerCase()}.${el.className}`).join(', '),
    )
  }

  const hidden = (el: Element) =>
    !el.checkVisibility({ visibilityProperty: true }) || el.closest('.visually-hidden, [hidden]') !== null
  const name = (el: Element) => {
    const text = (el.getAttribute('aria-label') || (el as HTMLElement).innerText || '').trim().slice(0, 40)
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${text ? ` "${text}"` : ''}`
  }
  const controls = [
    ...document.querySelectorAll(
      'main :is(button, input:not([type=hidden]), select, textarea, a.button, h1, h2, h3)',
    ),
  ]
    .filter((el) => !hidden(el))
    .map((el) => ({ el, box: el.getBoundingClientRect() }))
    .filter(({ box }) => box.width > 0 && box.height > 0)
  const overlaps: string[] = []
  for (let i = 0; i < controls.length; i++)
    for (let j = i + 1; j < controls.length; j++) {
      const a = controls[i]!
      const b = controls[j]!
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue
      const ox = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left)
      const oy = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top)
      if (ox > 1 && oy > 1) overlaps.push(`${name(a.el)} overlaps ${name(b.el)}`)
      else if (ox > 1 && oy > -4) overlaps.push(`${name(a.el)} touches ${name(b.el)} (${-oy}px apart)`)
    }
  // Cards and panels one under another need room too ("Key created" touched "New key").
  const cards = [...document.querySelectorAll('main :is(.card, .panel)')]
    .filter((el) => !hidden(el))
    .map((el) => ({ el, box: el.getBoundingClientRect() }))
  for (let i = 0; i < cards.length; i++)
    for (let j = i + 1; j < cards.length; j++) {
      const a = cards[i]!
      const b = cards[j]!
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue
      const ox = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left)
      const oy = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top)
      if (ox > 1 && oy > -4) overlaps.push(`card ${name(a.el)} touches card ${name(b.el)} (${-oy}px apart)`)
    }

  const keys: string[] = []
  const codes: string[] = []
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = n.parentElement
    if (!parent || parent.closest('script, style') || hidden(parent)) continue
    // The providers' own words, shown as they gave them: scope names (validate_for_voice),
    // account and subaccount names (acme_inc). The browser's own name (x86_64) on /account.
    if (parent.closest('.scope-name, .chip, .profile dd, .panel td, .sessions li > span:first-child'))
      continue
    // The API reference documents machine codes (problem types, fields) on purpose.
    if (location.pathname === '/api/docs' && parent.closest('code, pre, #swagger-ui')) continue
    const text = (n.textContent ?? '').replace(/\S+@\S+|\b\w+:\/\/\S+/g, ' ')
    // i18next shows a missing key without its namespace: `layout.role.admin`, `users.youLabel`.
    const key = /\b[a-z]+:[a-z]+(?:\.[a-zA-Z]+)+\b|\b[a-z]+(?:\.[a-zA-Z]+){2,}\b|\b[a-z]+\.[a-z]+[A-Z]\w*\b/g
    for (const m of text.matchAll(key)) keys.push(`${m[0]} in ${name(parent)}`)
    for (const m of text.matchAll(/\b[a-z][a-z0-9]*(?:\.[a-z0-9]+)*_[a-z0-9_]+\b/g))
      codes.push(`${m[0]} in ${name(parent)}`)
  }
  // A phone's stacked table names each cell's column with ::before; a name written into the
  // CSS cannot follow the page's language (German pages said "Balance"): only data-label can.
  for (const td of document.querySelectorAll('main td')) {
    const content = getComputedStyle(td, '::before').content
    if (content === 'none' || content === 'normal' || hidden(td)) continue
    if (content !== JSON.stringify(td.getAttribute('data-label') ?? ''))
      keys.push(`column name ${content} written in CSS, not data-label, in ${name(td)}`)
  }
  // On a phone each row is a card naming its columns: a head row above them only repeats the
  // names (sort links excepted: the support console sorts there).
  if (window.innerWidth <= 640)
    for (const th of document.querySelectorAll('main .table-wrap thead th')) {
      // A clipped 1 px head (visually hidden, for screen readers) does not show its cells.
      const shown = [th, th.closest('thead')!].every((el) => {
        const box = el.getBoundingClientRect()
        return box.width > 1 && box.height > 1
      })
      if (shown && !th.querySelector('a') && !hidden(th))
        overlaps.push(`head row shown above stacked rows: ${name(th)}`)
    }
  return { overflow, overlaps, keys, codes }
}

async function check(page: Page, lang: string, path: string, failures: string[]): Promise<void> {
  for (const size of WIDTHS) {
    await page.setViewportSize(size)
    const res = await page.goto(path)
    expect(res?.status(), `${lang} ${path}`).toBeLessThan(path === '/no-such-page' ? 500 : 400)
    const found = await page.evaluate(inspect)
    const where = `${lang} ${size.width}px ${path}`
    for (const [kind, list] of Object.entries(found))
      for (const f of list) failures.push(`${where} ${kind}: ${f}`)
    const slug = path
      .replace(/^\/support\/connections\/.*/, 'support-connection')
      .replace(/^\//, '')
      .replace(/\W+/g, '-')
    await screenshot(page, `layout-${lang}-${size.width}-${slug}`)
  }
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/login')
  await page.fill('#email', email)
  await page.fill('#password', PASSWORD)
  await page.click('form[action="/login"] button[type=submit]:not([formaction])')
  await page.waitForURL('**/dashboard')
}

describe('every page at 1280 and 390 px, in English and German (issue 29)', () => {
  it('no sideways scroll, no overlapping controls, no raw keys or codes', async () => {
    const failures: string[] = []
    // The app runs in this process: the keys its pages asked for and no catalogue has.
    const missingBefore = new Set(missingKeys)
    const email = uniqueEmail('layout')
    const en = await newPage(browser, app.baseUrl, DESKTOP, 'en-GB')
    const de = await newPage(browser, app.baseUrl, DESKTOP, 'de-DE')
    const out = await newPage(browser, app.baseUrl, DESKTOP, 'en-GB')
    const outDe = await newPage(browser, app.baseUrl, DESKTOP, 'de-DE')
    try {
      const page = en.page
      // Every page with its fullest content: both providers, a pending invitation, a second
      // person, a webhook, an API key.
      await connectBoth(page, 'Layout GmbH & Co. KG', email)
      await page.goto('/admin/users')
      await page.fill('#invite-email', uniqueEmail('invitee'))
      await page.click('form[action="/admin/users/invite"] button[type=submit]')
      await page.waitForURL('**/admin/users')
      await page.fill('#new-email', uniqueEmail('second'))
      await page.fill('#new-password', PASSWORD)
      await page.click('form[action="/admin/users"] button[type=submit]')
      await page.waitForURL('**/admin/users')
      await page.goto('/admin/credentials')
      await page.fill('#webhook-url', 'https://hooks.example.com/switchboard-events')
      // Answered on /admin/webhook with the generated signing secret, shown once.
      await page.click('form[action="/admin/webhook"] button[type=submit]')
      await shows(page.locator('#new-signing-secret'))
      await screenshot(page, 'layout-en-1280-webhook-secret')
      await shows(page.locator('form[action="/admin/webhook/clear"]'))

      // One connection's page in the support console, reached from its row.
      await page.goto('/support')
      const detail = await page.locator('a[href^="/support/connections/"]').first().getAttribute('href')
      expect(detail).toMatch(/^\/support\/connections\//)
      const signedIn = [...SIGNED_IN, detail!]

      await signIn(de.page, email)
      for (const [lang, ctx, pages] of [
        ['en', out, SIGNED_OUT],
        ['de', outDe, SIGNED_OUT],
        ['en', en, signedIn],
        ['de', de, signedIn],
      ] as const)
        for (const path of pages) await check(ctx.page, lang, path, failures)

      // The "Key created" card exists only on the answer to Create key.
      for (const [lang, ctx] of [
        ['en', en],
        ['de', de],
      ] as const) {
        for (const size of WIDTHS) {
          await ctx.page.setViewportSize(size)
          await ctx.page.goto('/admin/api-keys')
          await ctx.page.fill('#key-name', `Key ${lang} ${size.width}`)
          await ctx.page.check('input[name=scopes][value=read]')
          await ctx.page.click('form[action="/admin/api-keys"] button[type=submit]')
          await shows(ctx.page.locator('#api-key'))
          const found = await ctx.page.evaluate(inspect)
          for (const [kind, list] of Object.entries(found))
            for (const f of list) failures.push(`${lang} ${size.width}px key created ${kind}: ${f}`)
          await screenshot(ctx.page, `layout-${lang}-${size.width}-key-created`)
        }
      }
      expect(failures).toEqual([])
      expect([...missingKeys].filter((k) => !missingBefore.has(k))).toEqual([])
      for (const ctx of [en, de, out, outDe]) expect(ctx.problems.messages).toEqual([])
    } finally {
      for (const ctx of [en, de, out, outDe]) await ctx.context.close()
    }
  }, 240_000)
})
