import { randomBytes } from 'node:crypto'
import { pathOf, pressConsent } from '../../test/helpers/consent.js'
import { Browser } from './browser.js'

/** Every sms77 scope that has a panel reading the gateway, plus the Send SMS form. */
export const PANEL_SCOPES = [
  'balance',
  'analytics',
  'journal',
  'pricing',
  'contacts',
  'hooks',
  'subaccounts',
  'sms',
]

const PASSWORD = 'bench password 0123456789'
let counter = 0

function expect(cond: boolean, what: string): void {
  if (!cond) throw new Error(what)
}

/** A signed-in person: their browser and the email they signed up with. */
export type User = Browser & { email: string }

/** Signs up a new organisation through the real form; the browser is then signed in. */
export async function signUp(origin: string, tag: string): Promise<User> {
  const b = new Browser(origin)
  await b.readCsrf('/signup')
  const email = `bench-${tag}-${counter++}-${randomBytes(3).toString('hex')}@bench.test`
  const res = await b.post('/signup', {
    _csrf: b.csrf,
    organization: `Bench ${tag} ${counter}`,
    email,
    password: PASSWORD,
  })
  expect(res.status === 303, `sign-up answered ${res.status}`)
  // Signing in regenerated the session: read the new session's token.
  await b.readCsrf('/signup')
  return Object.assign(b, { email })
}

/**
 * Starts an sms77 connect and presses Allow on the sandbox's consent page, as a browser
 * would; returns the callback (path and query) the provider sent the browser back to.
 */
export async function prepareCallback(b: Browser, scopes: string[]): Promise<string> {
  const res = await b.post('/connect/sms77', { _csrf: b.csrf, scope: scopes })
  expect(res.status === 303 && res.location.startsWith('http'), `connect answered ${res.status}`)
  const consent = await pressConsent(res.location, 'Allow')
  expect(consent.status === 302, `consent answered ${consent.status}`)
  return pathOf(consent.location)
}

/** The whole sms77 connect journey: connect, Allow, and the callback the app must accept. */
export async function connectSms77(b: Browser, scopes: string[]): Promise<void> {
  const callback = await prepareCallback(b, scopes)
  const done = await b.get(callback)
  expect(done.status === 303 && done.location === '/dashboard', `callback answered ${done.status}`)
}
