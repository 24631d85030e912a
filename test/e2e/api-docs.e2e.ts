import { describe, expect, it } from 'vitest'
import type { Browser } from 'playwright-core'
import { e2eSuite, expectAccessible } from './suite.js'
import { journey, shows, signUp, type E2eApp } from './harness.js'

let app: E2eApp
let browser: Browser

e2eSuite('api-docs', (a, b) => {
  app = a
  browser = b
})

declare global {
  interface Window {
    cspViolations?: string[]
  }
}

describe('/api/docs in a browser (issue 25)', () => {
  it('renders the OpenAPI document with Swagger UI served by the app, with no CSP violation', async () => {
    await journey(browser, app, 'api-docs', async (page, problems) => {
      // Every refusal of the page's CSP, as the browser reports it to the page itself.
      await page.addInitScript(() => {
        window.cspViolations = []
        document.addEventListener('securitypolicyviolation', (e) =>
          window.cspViolations!.push(`${e.violatedDirective} ${e.blockedURI}`),
        )
      })
      const outside: string[] = []
      page.on('request', (r) => {
        if (!r.url().startsWith(app.baseUrl) && !r.url().startsWith('data:')) outside.push(r.url())
      })
      await signUp(page, 'Docs Reader Ltd')
      const res = await page.goto('/api/docs')
      expect(res?.status()).toBe(200)
      const csp = res?.headers()['content-security-policy'] ?? ''
      expect(csp).toContain("script-src 'self'")
      expect(csp).not.toContain('unsafe-inline')
      expect(csp).not.toContain('unsafe-eval')

      // Swagger UI listed the document's operations (rendered in the browser, not on the server).
      const list = page.locator('#swagger-ui .opblock-get [data-path="/connections"]')
      await shows(list)
      await shows(page.locator('#swagger-ui .opblock-post [data-path="/connections/{id}/messages"]'))
      expect(await page.locator('#swagger-ui .opblock').count()).toBeGreaterThanOrEqual(4)
      // An operation opens with its parameters and responses.
      await list.click()
      await shows(page.locator('#swagger-ui .opblock.is-open .responses-table').first())
      // The examples and the problem types are the page's own.
      await shows(page.getByText('claude mcp add --transport http switchboard', { exact: false }))
      await shows(page.locator('#problem-not_found'))
      // Swagger UI mended where axe found it wanting (contrast, names, keyboard access).
      await expectAccessible(page, 'api-docs')

      const violations = await page.evaluate(() => window.cspViolations ?? [])
      expect(violations).toEqual([])
      expect(problems.messages).toEqual([])
      expect(outside).toEqual([])
    })
  })
})
