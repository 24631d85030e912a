import { describe, expect, it } from 'vitest'
import { e2eSuite, expectAccessible } from './suite.js'
import type { Browser } from 'playwright-core'
import {
  connectBoth,
  journey,
  overflowsSideways,
  PHONE,
  screenshot,
  shows,
  signUp,
  type E2eApp,
} from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('pages', (a, b) => {
  app = a
  browser = b
})

describe('pages as a person sees them', () => {
  it('a 404 is a friendly page, signed out and signed in, with no stack trace', async () => {
    await journey(browser, app, 'error-404', async (page) => {
      const out = await page.goto('/nope')
      expect(out?.status()).toBe(404)
      expect(await page.title()).toMatch(/Not found · Switchboard/)
      expect(await page.locator('body').innerText()).not.toMatch(/\bat .+\.(js|ts):\d+/)
      await expectAccessible(page, 'error 404 (signed out)')
      await screenshot(page, 'error-404-signed-out')
      await signUp(page)
      const inside = await page.goto('/nope/deeper?x=1')
      expect(inside?.status()).toBe(404)
      await shows(page.getByRole('link', { name: 'Back to the dashboard' }))
      await expectAccessible(page, 'error 404 (signed in)')
    })
  })

  it('both providers connected: desktop and a 390 px phone, no sideways scrolling', async () => {
    await journey(browser, app, 'dashboard-both', async (page, problems) => {
      await connectBoth(page)
      await page.goto('/dashboard')
      await shows(page.locator('svg.chart'))
      await expectAccessible(page, 'dashboard (both connected)')
      expect(await overflowsSideways(page)).toBe(false)
      await page.setViewportSize(PHONE)
      await screenshot(page, 'dashboard-phone')
      expect(await overflowsSideways(page)).toBe(false)
      await expectAccessible(page, 'dashboard (both connected, phone)')
      await page.setViewportSize({ width: 1280, height: 900 })
      expect(problems.messages).toEqual([])
    })
  })

  it('sign-up and sign-in at phone width', async () => {
    await journey(
      browser,
      app,
      'signup-phone',
      async (page) => {
        await page.goto('/login')
        expect(await overflowsSideways(page)).toBe(false)
        await expectAccessible(page, 'login (phone)')
        await screenshot(page, 'login-phone')
        await page.goto('/signup')
        expect(await overflowsSideways(page)).toBe(false)
        await expectAccessible(page, 'signup (phone)')
      },
      PHONE,
    )
  })
})
