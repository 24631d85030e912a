import { afterAll, beforeAll, expect } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { blocking, launchChromium, runAxe, startE2eApp, writeAxeLog, type E2eApp } from './harness.js'

/** One app and one Chromium per e2e file; the axe log is written when the file ends. */
export function e2eSuite(
  name: string,
  ready: (app: E2eApp, browser: Browser) => void,
  env: () => Record<string, string> = () => ({}),
): void {
  let app: E2eApp | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    app = await startE2eApp(name, env())
    browser = await launchChromium()
    ready(app, browser)
  })
  afterAll(async () => {
    await browser?.close()
    await app?.close()
    await writeAxeLog(name)
  })
}

/** axe on the page as it is: no serious or critical violation. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  expect(blocking(await runAxe(page, label))).toEqual([])
}
