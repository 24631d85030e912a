/**
 * Issue 29 items 8 and 10: every page, in both languages, at 1280 and 390 px. Fails on
 * sideways scrolling, main controls whose boxes overlap or touch a heading, and raw
 * translation keys or machine codes in the text people read. Screenshots of each land in
 * test-results/e2e/layout-<lang>-<width>-<page>.png for a person to look at.
 */
import { describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { e2eSuite } from './suite.js'
import { AUDIT_ACTIONS } from '../../src/audit/audit-words.js'
import { EVENT_TYPES } from '../../src/events/catalogue.js'
import { PROBLEMS } from '../../src/api/problem.js'
import { STATUS_REASONS } from '../../src/providers/status.js'
import { loadResources } from '../../src/i18n/catalogue.js'
import {
  connectBoth,
  DESKTOP,
  newPage,
  overflowsSideways,
  PASSWORD,
  PHONE,
  screenshot,
  uniqueEmail,
  type E2eApp,
} from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('layout', (a, b) => {
  app = a
  browser = b
})

const SIGNED_IN = [
  '/dashboard',
  '/account',
  '/admin/users',
  '/admin/credentials',
  '/admin/api-keys',
  '/admin/connections',
  '/admin/settings',
  '/admin/sso',
  '/admin/audit',
  '/support',
]
const SIGNED_OUT = ['/login', '/signup', '/forgot', '/reset/not-a-real-token', '/no-such-page']

/**
 * The codes the product stores and sends (error codes, problems, audit actions, events,
 * status reasons): words for machines, which a page must say in words for people. Provider
 * data (a subaccount's user name) and scope names (their labels, DESIGN.md) may look alike.
 */
const errorCodes = Object.keys(
  (loadResources().en!.common as { errors: { message: Record<string, string> } }).errors.message,
)
const MACHINE_CODES = [
  ...new Set([
    ...errorCodes,
    ...Object.keys(PROBLEMS),
    ...AUDIT_ACTIONS,
    ...EVENT_TYPES,
    ...STATUS_REASONS,
    'needs_reconnect',
  ]),
  // One-word codes ("internal", "test") are ordinary words too.
].filter((c) => /[_.]/.test(c))

interface Finding {
  where: string
  what: string
}

/** What a page shows wrong, measured in the browser. */
async function inspect(page: Page): Promise<string[]> {
  return page.evaluate((codes) => {
    const found: string[] = []
    const visible = (el: Element) => {
      const r = el.getBoundingClientRect()
      return r.width > 0 && r.height > 0 && (el as HTMLElement).checkVisibility?.() !== false
    }
    const name = (el: Element) =>
      `${el.tagName.toLowerCase()}“${((el as HTMLElement).innerText || el.getAttribute('name') || el.id || '').trim().slice(0, 40)}”`
    // 1. Main controls whose boxes overlap (neither inside the other).
    const controls = [
      ...document.querySelectorAll(
        'main button, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]), main select, main textarea, main h1, main h2, main h3',
      ),
    ].filter(visible)
    const boxes = controls.map((el) => ({ el, r: el.getBoundingClientRect() }))
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!
        const b = boxes[j]!
        if (a.el.contains(b.el) || b.el.contains(a.el)) continue
        const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left)
        const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top)
        if (w > 1 && h > 1) found.push(`overlap: ${name(a.el)} and ${name(b.el)}`)
      }
    // 2. A button touching a heading above or below it (less than 6 px between them).
    const headings = boxes.filter((b) => /^H[123]$/.test(b.el.tagName))
    const buttons = boxes.filter((b) => b.el.tagName === 'BUTTON')
    for (const hd of headings)
      for (const bt of buttons) {
        const across = Math.min(hd.r.right, bt.r.right) - Math.max(hd.r.left, bt.r.left) > 1
        const gap = Math.max(hd.r.top - bt.r.bottom, bt.r.top - hd.r.bottom)
        if (across && gap >= -1 && gap < 6) found.push(`touches: ${name(bt.el)} and ${name(hd.el)}`)
      }
    // 3. Cards stacked without space between them.
    const cards = [...document.querySelectorAll('main .card')]
      .filter(visible)
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
    for (const a of cards)
      for (const b of cards) {
        if (a === b || a.el.contains(b.el) || b.el.contains(a.el)) continue
        const across = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left) > 1
        const gap = b.r.top - a.r.bottom
        if (across && gap >= -1 && gap < 8)
          found.push(
            `cards touch: ${name(a.el.querySelector('h1, h2, h3') ?? a.el)} and ${name(b.el.querySelector('h1, h2, h3') ?? b.el)}`,
          )
      }
    // 4. Phones: stacked rows name their columns, so the table's head is not shown above them,
    //    and a value never wraps under its column's name.
    if (document.documentElement.clientWidth <= 640) {
      for (const head of document.querySelectorAll('main .table-wrap table:not(.support) thead'))
        if (head.querySelector('th') && visible(head) && head.getBoundingClientRect().height > 2)
          found.push(`table head shown on a phone: ${name(head)}`)
      for (const td of document.querySelectorAll('main .table-wrap td[data-label]')) {
        if (!visible(td) || getComputedStyle(td, '::before').content === 'none') continue
        const left = td.getBoundingClientRect().left
        const walkerTd = document.createTreeWalker(td, NodeFilter.SHOW_TEXT)
        for (let n = walkerTd.nextNode(); n; n = walkerTd.nextNode()) {
          if (!n.textContent?.trim() || n.parentElement?.closest('button, select, form')) continue
          const range = document.createRange()
          range.selectNodeContents(n)
          for (const rect of range.getClientRects())
            if (rect.width > 0 && rect.left < left + 80)
              found.push(
                `value under its label on a phone: ${td.getAttribute('data-label')} “${n.textContent.trim().slice(0, 30)}”`,
              )
        }
      }
    }
    //    Column names come from the page (data-label), in its language, never from the style sheet.
    if (document.documentElement.lang === 'de')
      for (const td of document.querySelectorAll('main td')) {
        const said = getComputedStyle(td, '::before').content.replace(/^"|"$/g, '')
        if (
          visible(td) &&
          /^(Provider|Account|Balance|Read|Status)$/.test(said) &&
          td.getAttribute('data-label') !== said
        )
          found.push(`English column name on a German page: ${said}`)
      }
    // 5. Raw translation keys, unfilled placeholders and machine codes in text people read
    //    (code, pre and kbd show codes on purpose: API and webhook documentation).
    const textOf = (skip: string) => {
      const texts: string[] = []
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT)
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const parent = n.parentElement
        if (!parent || parent.closest(skip) || !visible(parent)) continue
        texts.push(n.textContent ?? '')
      }
      return texts.join(' ')
    }
    const text = textOf('code, pre, kbd, samp, script, style, noscript, svg')
    // Codes in <code> too; only the webhook's delivery log names event types, its contract.
    const shown = textOf('.webhook code, script, style, noscript, svg')
    const patterns: Array<[string, RegExp]> = [
      [
        'raw key',
        /\b(?:common|auth|admin|dashboard|support|signin|mail|providers|api|sandbox):[A-Za-z][\w.]*/g,
      ],
      ['placeholder', /\{\{\s*\w+\s*\}\}/g],
      ['dotted key', /\b[a-z]+(?:\.[a-z]+[A-Z_][A-Za-z_]*)+\b/g],
    ]
    for (const [kind, re] of patterns) for (const m of text.match(re) ?? []) found.push(`${kind}: ${m}`)
    const words = new Set(shown.split(/[^\w.]+/).map((w) => w.replace(/\.$/, '')))
    for (const code of codes) if (words.has(code)) found.push(`machine code: ${code}`)
    return [...new Set(found)]
  }, MACHINE_CODES)
}

async function checkPages(lang: 'en' | 'de', paths: string[], signIn?: (page: Page) => Promise<void>) {
  const findings: Finding[] = []
  for (const viewport of [DESKTOP, PHONE]) {
    const { context, page } = await newPage(browser, app.baseUrl, viewport, lang === 'de' ? 'de-DE' : 'en-GB')
    try {
      if (signIn) await signIn(page)
      for (const path of paths) {
        await page.goto(path)
        const where = `${lang} ${viewport.width}px ${path}`
        await screenshot(page, `layout-${lang}-${viewport.width}-${path.slice(1).replace(/\W+/g, '-')}`)
        if (await overflowsSideways(page)) findings.push({ where, what: 'scrolls sideways' })
        for (const what of await inspect(page)) findings.push({ where, what })
      }
    } finally {
      await context.close()
    }
  }
  return findings
}

let adminEmail = ''

describe('every page in both languages at 1280 and 390 px (issue 29)', () => {
  it('sets up an organisation with everything a page can show', async () => {
    const { context, page } = await newPage(browser, app.baseUrl)
    try {
      adminEmail = await connectBoth(page, 'Layout Org')
      await page.goto('/admin/users')
      const invite = page.locator('form[action="/admin/users/invite"]')
      await invite.getByLabel('Email').fill(uniqueEmail('invitee'))
      await invite.getByRole('button', { name: 'Send invitation' }).click()
      await page.waitForURL('**/admin/users')
      await page.goto('/admin/credentials')
      await page.getByLabel('Webhook URL').fill('https://hooks.example.test/in')
      await page.getByRole('button', { name: 'Save webhook' }).click()
      await page.waitForLoadState()
      await page.goto('/admin/api-keys')
      await page.getByLabel('Name').fill('Layout system')
      await page.getByRole('checkbox', { name: 'read' }).check()
      await page.getByRole('button', { name: 'Create key' }).click()
      await page.waitForLoadState()
      // The "Key created" card with the form under it: checked here, as it shows only once.
      const findings = (await inspect(page)).concat(
        (await overflowsSideways(page)) ? ['scrolls sideways'] : [],
      )
      await screenshot(page, 'layout-en-1280-key-created')
      expect(findings).toEqual([])
    } finally {
      await context.close()
    }
  })

  for (const lang of ['en', 'de'] as const) {
    it(`shows the signed-in pages cleanly (${lang})`, async () => {
      const signIn = async (page: Page) => {
        await page.goto('/login')
        await page.locator('#email').fill(adminEmail)
        await page.locator('#password').fill(PASSWORD)
        await page.locator('form[action="/login"] button[type=submit]').first().click()
        await page.waitForURL('**/dashboard')
      }
      expect(await checkPages(lang, SIGNED_IN, signIn)).toEqual([])
    })

    it(`shows the signed-out pages cleanly (${lang})`, async () => {
      expect(await checkPages(lang, SIGNED_OUT)).toEqual([])
    })
  }
})
