/**
 * Regenerates the README's screenshots in real Chromium, with the same set-up as the
 * e2e tests (test/e2e/harness.ts): the app and its sandbox on a loopback port, Redis
 * under a throw-away key prefix that is deleted afterwards.
 *
 *   npx tsx scripts/screenshots.ts     (npm run screenshots)
 */
import { mkdir, stat } from 'node:fs/promises'
import path from 'node:path'
import {
  decide,
  launchChromium,
  newPage,
  openNexmoConsent,
  openSms77Consent,
  shows,
  signUp,
  startE2eApp,
} from '../test/e2e/harness.js'
import { TokenCipher } from '../src/crypto/token-cipher.js'
import { TenantCiphers } from '../src/crypto/tenant-ciphers.js'
import { seedDemo } from '../src/support/seed-demo.js'

const OUT_DIR = path.resolve('docs/screenshots')
const VIEWPORT = { width: 1200, height: 800 }

async function save(page: import('playwright-core').Page, name: string, fullPage: boolean): Promise<void> {
  const file = path.join(OUT_DIR, name)
  await page.screenshot({ path: file, fullPage })
  console.log(`${path.relative(process.cwd(), file)}: ${Math.round((await stat(file)).size / 1024)} KB`)
}

const app = await startE2eApp('screenshots')
const browser = await launchChromium()
try {
  const { context, page } = await newPage(browser, app.baseUrl, VIEWPORT)
  // Both providers, sms77 with its read panels and its tools (lookup, delivery reports).
  await signUp(page, 'Acme Inc', 'jane@acme.example')
  await openSms77Consent(page, ['balance', 'analytics', 'journal', 'sms', 'subaccounts', 'lookup', 'status'])
  await decide(page, 'Allow')
  await openNexmoConsent(page)
  await decide(page, 'Allow')
  // Load once more so the "connected" flash messages are gone.
  await page.goto('/dashboard')
  await shows(page.locator('svg.chart'))
  await mkdir(OUT_DIR, { recursive: true })
  await save(page, 'dashboard.png', true)
  // The support console of the same organisation, with some demo accounts beside Jane's.
  const tenantId = (await app.redis.get('email:jane@acme.example'))!.split(':')[0]!
  await seedDemo(
    app.redis,
    new TenantCiphers(app.redis, new TokenCipher(app.config.tokenKeys)),
    tenantId,
    120,
  )
  await page.goto('/support?sort=balance_asc')
  await shows(page.getByRole('heading', { name: 'Connected accounts' }))
  await save(page, 'support.png', false)
  await context.close()
} finally {
  await browser.close()
  await app.close()
}
