/**
 * Real-browser harness: the real app with the sandbox mounted in the same Express app,
 * on a real loopback port, driven by Debian's Chromium through playwright-core.
 *
 * Deliberately free of vitest imports, so `scripts/screenshots.ts` can reuse it.
 */
import { sandboxOptionsFor } from '../../src/sandbox/options.js'
import http from 'node:http'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { Writable } from 'node:stream'
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'
import type { AxeResults, Result as AxeResult } from 'axe-core'
import { buildServices, createApp, type AppDeps } from '../../src/boot/app.js'
import { loadConfig, type Config } from '../../src/config/config.js'
import { createLogger } from '../../src/logging/logger.js'
import type { Redis } from '../../src/redis/client.js'
import { createSandbox, SANDBOX_PATHS, type SandboxControl } from '../../src/sandbox/index.js'
import { dropPrefix, openRedis, REDIS_URL, uniquePrefix } from '../helpers/redis.js'

export const RESULTS_DIR = path.resolve('test-results/e2e')
export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
]
export const DESKTOP = { width: 1280, height: 900 }
export const PHONE = { width: 390, height: 844 }

export interface E2eApp {
  baseUrl: string
  config: Config
  redis: Redis
  sandbox: SandboxControl
  prefix: string
  /** Log lines at warn and above, printed when a journey fails. */
  logs: string[]
  close(): Promise<void>
}

/**
 * Starts Switchboard on 127.0.0.1:<free port> with SANDBOX on: the emulated providers
 * live under `<base>/sandbox`, so the browser reaches the app and "the providers" alike.
 * Listens first (port 0) so BASE_URL can carry the port, then attaches the app. `env` adds
 * to the environment (e.g. SMTP_URL of a loopback SMTP sink instead of the sandbox's outbox).
 */
export async function startE2eApp(name: string, env: Record<string, string> = {}): Promise<E2eApp> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const baseUrl = `http://127.0.0.1:${port}`
  const sandboxBase = `${baseUrl}/sandbox`
  const prefix = uniquePrefix(`e2e-${name}`)
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    BASE_URL: baseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SANDBOX: '1',
    SMS77_OAUTH_URL: sandboxBase + SANDBOX_PATHS.sms77OAuth,
    SMS77_API_URL: sandboxBase + SANDBOX_PATHS.sms77Api,
    NEXMO_OAUTH_URL: sandboxBase + SANDBOX_PATHS.nexmoOAuth,
    NEXMO_API_URL: sandboxBase + SANDBOX_PATHS.nexmoRest,
    LOG_LEVEL: 'warn',
    ...env,
  })
  // With SANDBOX on and no credentials, config carries the sandbox's default client and
  // consumer; the embedded sandbox is told about exactly those (as src/main.ts does).
  const sandbox = createSandbox(sandboxOptionsFor(config, { accessTokenTtlSec: 3600 }))
  const logs: string[] = []
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      cb()
    },
  })
  const logger = createLogger(config.logLevel, sink)
  const redis = await openRedis(prefix)
  // Every journey signs up from the same loopback IP.
  const loginLimits = {
    perIp: { points: 1000, durationSec: 60 },
    perAccount: { points: 5, durationSec: 60 },
    signupPerIp: { points: 10_000, durationSec: 60 },
  }
  const deps: AppDeps = { config, redis, logger, loginLimits, sandbox }
  server.on('request', createApp(deps, buildServices(deps)))
  return {
    baseUrl,
    config,
    redis,
    sandbox: sandbox.control,
    prefix,
    logs,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      redis.disconnect()
      await dropPrefix(prefix)
    },
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true })
}

/** Problems the browser itself reported: CSP refusals, script errors, failed loads. */
export interface PageProblems {
  messages: string[]
}

export async function newPage(
  browser: Browser,
  baseUrl: string,
  viewport = DESKTOP,
  locale = 'en-GB',
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  // The locale is what Chromium sends as Accept-Language (issue 18: de-DE sees German).
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport,
    locale,
    reducedMotion: 'reduce',
  })
  const page = await context.newPage()
  // Destructive forms ask "are you sure?" (data-confirm); journeys answer yes unless they
  // handle the dialog themselves (page.removeAllListeners('dialog') first).
  page.on('dialog', (d) => void d.accept())
  page.setDefaultTimeout(15_000)
  page.setDefaultNavigationTimeout(20_000)
  const problems: PageProblems = { messages: [] }
  page.on('console', (m) => {
    // A 4xx page (the 404 journey, the Deny callback) logs "Failed to load resource": expected.
    if (
      m.type() === 'error' &&
      !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())
    )
      problems.messages.push(`console: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.messages.push(`pageerror: ${e.message}`))
  page.on('requestfailed', (r) => {
    // A form submission that navigates away aborts nothing we care about; anything else is a problem.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED')
      problems.messages.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`)
  })
  return { context, page, problems }
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, `${name}.png`)
  await page.screenshot({ path: file, fullPage })
  return file
}

/**
 * Runs `fn` on a fresh context with tracing on. Success: a screenshot `<name>.png`.
 * Failure: `<name>-failed.png`, a Playwright trace `<name>-trace.zip` (open with
 * `npx playwright-core show-trace`), the app's warn/error log lines; then rethrows.
 */
export async function journey(
  browser: Browser,
  app: E2eApp,
  name: string,
  fn: (page: Page, problems: PageProblems) => Promise<void>,
  viewport = DESKTOP,
  locale = 'en-GB',
): Promise<void> {
  // A previous run's failure artifacts would mislead: start clean.
  for (const stale of [`${name}-failed.png`, `${name}-trace.zip`, `${name}-app.log`])
    await rm(path.join(RESULTS_DIR, stale), { force: true })
  const { context, page, problems } = await newPage(browser, app.baseUrl, viewport, locale)
  await context.tracing.start({ screenshots: true, snapshots: true, title: name })
  try {
    await fn(page, problems)
    await screenshot(page, name)
    await context.tracing.stop()
  } catch (err) {
    await mkdir(RESULTS_DIR, { recursive: true })
    await screenshot(page, `${name}-failed`).catch(() => undefined)
    await context.tracing.stop({ path: path.join(RESULTS_DIR, `${name}-trace.zip`) }).catch(() => undefined)
    await writeFile(path.join(RESULTS_DIR, `${name}-app.log`), app.logs.join('')).catch(() => undefined)
    if (problems.messages.length)
      (err as Error).message += `\nbrowser problems:\n${problems.messages.join('\n')}`
    throw err
  } finally {
    await context.close()
  }
}

// ---------------------------------------------------------------------------------------
// Accessibility

const require = createRequire(import.meta.url)
let axeSource: string | undefined

export interface AxeSummary {
  page: string
  url: string
  violations: Array<{ id: string; impact: string; help: string; nodes: string[] }>
}

/** Every axe summary of this process, written to test-results/e2e/axe-<file>.json by the suites. */
export const axeLog: AxeSummary[] = []

/**
 * Runs axe-core on the current page. The app's CSP allows scripts from 'self' only, so
 * `addScriptTag` would be refused; axe is evaluated through the DevTools protocol instead
 * (`page.evaluate` with the source text), which CSP does not govern. No `bypassCSP`: the
 * pages are checked under their real policy.
 */
export async function runAxe(page: Page, label: string): Promise<AxeSummary> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8')
  const loaded = await page.evaluate(() => 'axe' in window)
  if (!loaded) await page.evaluate(axeSource)
  const results = (await page.evaluate(() =>
    (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<unknown> } }).axe.run(document, {
      resultTypes: ['violations'],
    }),
  )) as AxeResults
  const summary: AxeSummary = {
    page: label,
    url: new URL(page.url()).pathname,
    violations: results.violations.map((v: AxeResult) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    })),
  }
  axeLog.push(summary)
  return summary
}

/**
 * Serious violations on the SANDBOX's pages (views/sandbox, src/sandbox: another owner's
 * files, emulating a third party's consent page), reported to their owner and accepted
 * here so the app's own pages stay held to zero. Remove an entry once it is fixed; the
 * run prints a note when an accepted violation no longer occurs.
 */
export const SANDBOX_KNOWN_A11Y: Record<string, string[]> = {}

/** The serious and critical violations, formatted for an assertion message. */
export function blocking(summary: AxeSummary): string[] {
  const accepted = SANDBOX_KNOWN_A11Y[summary.url] ?? []
  const serious = summary.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  for (const id of accepted)
    if (!serious.some((v) => v.id === id))
      console.info(
        `axe: accepted sandbox violation ${id} no longer occurs on ${summary.url}; remove it from SANDBOX_KNOWN_A11Y`,
      )
  return serious
    .filter((v) => !accepted.includes(v.id))
    .map((v) => `${summary.page}: [${v.impact}] ${v.id}: ${v.help} (${v.nodes.join(', ')})`)
}

export async function writeAxeLog(file: string): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true })
  await writeFile(path.join(RESULTS_DIR, `axe-${file}.json`), JSON.stringify(axeLog, null, 2))
}

// ---------------------------------------------------------------------------------------
// Journeys' building blocks, by visible label (DESIGN.md fixes the labels).

let counter = 0
export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${counter++}@example.test`
}

export const PASSWORD = 'correct horse battery'

export async function signUp(page: Page, org = 'Acme Test', email = uniqueEmail('e2e')): Promise<string> {
  await page.goto('/signup')
  await page.getByLabel('Organization').fill(org)
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Create organisation' }).click()
  await page.waitForURL('**/dashboard')
  return email
}

/** The checkbox of one scope: its label starts with the scope's name. */
export function scopeBox(page: Page, scope: string) {
  return page
    .getByRole('region', { name: 'sms77', exact: true })
    .getByRole('checkbox', { name: new RegExp(`^${scope}\\b`) })
    .first()
}

/** Dashboard → Connect sms77 with these scopes ticked → the sandbox's consent page. */
export async function openSms77Consent(page: Page, scopes: string[]): Promise<void> {
  for (const s of scopes) await scopeBox(page, s).check()
  await page.getByRole('button', { name: 'Connect sms77' }).click()
  await page.waitForURL('**/sandbox/sms77/oauth/authorize**')
}

export async function openNexmoConsent(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Connect Nexmo' }).click()
  await page.waitForURL('**/sandbox/nexmo/oauth/authorize**')
}

/** Presses Allow or Deny on either consent page and waits for the dashboard. */
export async function decide(page: Page, decision: 'Allow' | 'Deny'): Promise<void> {
  await page.getByRole('button', { name: decision, exact: true }).click()
  await page.waitForURL('**/dashboard')
}

/** Waits until the locator's first match is visible (playwright-core has no web-first expect). */
export async function shows(locator: Locator): Promise<void> {
  await locator.first().waitFor({ state: 'visible', timeout: 10_000 })
}

/** Signs up and connects both providers with Allow: the dashboard people see most. */
export async function connectBoth(
  page: Page,
  org = 'Acme Inc',
  email = uniqueEmail('jane'),
): Promise<string> {
  await signUp(page, org, email)
  await openSms77Consent(page, ['balance', 'analytics', 'journal', 'sms', 'pricing', 'subaccounts'])
  await decide(page, 'Allow')
  await openNexmoConsent(page)
  await decide(page, 'Allow')
  await shows(page.getByRole('button', { name: 'Disconnect sms77' }))
  await shows(page.getByRole('button', { name: 'Disconnect Nexmo' }))
  return email
}

/** True when the page scrolls sideways at its current viewport (a phone layout bug). */
export async function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1)
}
