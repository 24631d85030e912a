/**
 * Every string a visitor, a user or a provider controls is rendered escaped, and the CSP
 * would stop a script even if one were not. The "malicious provider" is a real loopback
 * server speaking both providers' wire formats with markup in every field it returns.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashPassword } from '../src/auth/passwords.js'
import {
  csrfFrom,
  csrfOf,
  signUp,
  startTestApp,
  uniqueEmail,
  type Agent,
  type TestApp,
} from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'

/** A payload per field, each naming its field so a failure says which one leaked. */
const xss = (field: string) => `<script>alert("${field}")</script><img src=x onerror=alert(1)>`

/** EJS's own escaping, to find the escaped form of a payload in a page. */
function escaped(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;')
}

/** No executable markup made it into the page raw (escaped text may mention it; real tags may not). */
function expectNoRawMarkup(html: string, where: string): void {
  expect(html.includes('<script>alert'), `${where}: raw <script>`).toBe(false)
  const tags = html.match(/<[a-zA-Z][^>]*>/g) ?? []
  expect(
    tags.filter((tag) => /^<img\b/i.test(tag) && /onerror/i.test(tag)),
    `${where}: raw <img onerror>`,
  ).toEqual([])
  expect(
    tags.filter((tag) => /\son[a-z]+\s*=/i.test(tag)),
    `${where}: an inline event handler`,
  ).toEqual([])
  expect(
    tags.filter((tag) => /(href|src|action)\s*=\s*["']?\s*javascript:/i.test(tag)),
    `${where}: a javascript: URL`,
  ).toEqual([])
}

let hostile: http.Server
let hostileUrl: string
let t: TestApp
let h: TestApp

function json(res: http.ServerResponse, body: unknown): void {
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify(body))
}

/** sms77 and Nexmo as a malicious provider would answer: valid shapes, markup everywhere. */
function hostileProvider(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? '').split('?')[0]
  switch (path) {
    case '/sms77/oauth/token':
      return json(res, {
        access_token: 'hostile-access-token-0001',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'hostile-refresh-token-0001',
        scope: `balance analytics pricing journal contacts hooks subaccounts sms ${xss('scope').replace(/ /g, '')}`,
      })
    case '/sms77/oauth/me':
      return json(res, {
        user_id: xss('user_id'),
        email: xss('me.email'),
        company: `=HYPERLINK("https://evil.test")${xss('me.company')}`,
        alias: xss('me.alias'),
        balance: '12.5',
      })
    case '/sms77/api/balance':
      return json(res, 7.5)
    case '/sms77/api/analytics':
      return json(res, [
        { date: xss('analytics.date'), sms: 3, usage_eur: 0.3 },
        { date: '2026-01-02', sms: 1, usage_eur: 0.1 },
      ])
    case '/sms77/api/pricing':
      return json(res, {
        countries: [
          {
            countryName: xss('pricing.country'),
            networks: [{ networkName: xss('pricing.network'), mcc: xss('pricing.mcc'), price: 0.07 }],
          },
        ],
      })
    case '/sms77/api/journal':
      return json(res, [
        {
          timestamp: xss('journal.timestamp'),
          to: xss('journal.to'),
          text: xss('journal.text'),
          price: xss('journal.price'),
        },
      ])
    case '/sms77/api/contacts':
      return json(res, [{ Name: xss('contacts.name'), Number: xss('contacts.number') }])
    case '/sms77/api/hooks':
      return json(res, {
        success: true,
        hooks: [
          {
            event_type: xss('hooks.event'),
            target_url: `javascript:alert(1)//${xss('hooks.url')}`,
            request_method: xss('hooks.method'),
            created: xss('hooks.created'),
          },
        ],
      })
    case '/sms77/api/subaccounts':
      return json(res, [
        { username: xss('sub.username'), company: xss('sub.company'), balance: xss('sub.balance') },
      ])
    case '/sms77/api/sms':
      return json(res, { success: '100', total_price: 0.07, messages: [{ id: xss('sms.id'), price: 0.07 }] })
    case '/nexmo/oauth/request_token':
      res.setHeader('content-type', 'application/x-www-form-urlencoded')
      return void res.end(
        'oauth_token=hostile-request-token&oauth_token_secret=hostile-request-secret&oauth_callback_confirmed=true',
      )
    case '/nexmo/oauth/access_token':
      res.setHeader('content-type', 'application/x-www-form-urlencoded')
      return void res.end(
        `oauth_token=hostile-nexmo-token&oauth_token_secret=hostile-nexmo-secret&api_key=${encodeURIComponent(xss('nexmo.api_key'))}`,
      )
    case '/nexmo/rest/account/get-balance':
      return json(res, { value: 3.25, autoReload: false })
    default:
      res.writeHead(404).end()
  }
}

beforeAll(async () => {
  hostile = http.createServer(hostileProvider)
  await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r))
  hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`
  t = await startTestApp({ name: 'sec-xss' })
  h = await startTestApp({
    name: 'sec-xss-hostile',
    sandbox: t.sandbox,
    deps: { panelCacheTtlSec: 0 },
    env: {
      SMS77_OAUTH_URL: `${hostileUrl}/sms77/oauth`,
      SMS77_API_URL: `${hostileUrl}/sms77/api`,
      NEXMO_OAUTH_URL: `${hostileUrl}/nexmo/oauth`,
      NEXMO_API_URL: `${hostileUrl}/nexmo/rest`,
    },
  })
})
afterAll(async () => {
  await h.close()
  await t.close()
  await new Promise<void>((r) => hostile.close(() => r()))
})

/** Connects both providers of the hostile app without a consent page (the fake has none). */
async function connectHostile(agent: Agent): Promise<void> {
  const scopes = ['balance', 'analytics', 'pricing', 'journal', 'contacts', 'hooks', 'subaccounts', 'sms']
    .map((s) => `scope=${s}`)
    .join('&')
  const begun = await agent
    .post('/connect/sms77')
    .type('form')
    .send(`_csrf=${encodeURIComponent(await csrfOf(agent))}&${scopes}`)
    .expect(303)
  const state = new URL(begun.headers.location!).searchParams.get('state')!
  await agent
    .get(`/oauth_redirect?state=${encodeURIComponent(state)}&code=any-code`)
    .expect(303)
    .expect('location', '/dashboard')
  await agent
    .post('/connect/nexmo')
    .type('form')
    .send({ _csrf: await csrfOf(agent) })
    .expect(303)
  await agent
    .get('/connect/nexmo/callback?oauth_token=hostile-request-token&oauth_verifier=v')
    .expect(303)
    .expect('location', '/dashboard')
}

describe('a malicious provider’s strings', () => {
  it('are escaped in every field of the dashboard: profile, scopes, every panel, and the flash', async () => {
    const { agent } = await signUp(h.app, 'Hostile Provider Org')
    await connectHostile(agent)
    const dash = await agent.get('/dashboard').expect(200)
    expectNoRawMarkup(dash.text, 'dashboard')
    for (const field of [
      'me.email',
      'me.company',
      'me.alias',
      'user_id',
      'analytics.date',
      'pricing.country',
      'pricing.network',
      'pricing.mcc',
      'journal.to',
      'journal.text',
      'journal.price',
      'contacts.name',
      'contacts.number',
      'hooks.event',
      'hooks.url',
      'hooks.method',
      'hooks.created',
      'sub.username',
      'sub.company',
      'sub.balance',
      // nexmo.api_key: only its last four characters are shown ("Nexmo account ending …").
    ]) {
      expect(dash.text.includes(escaped(`alert("${field}")`)), `${field} is shown escaped`).toBe(true)
    }
    const sent = await agent
      .post('/connections/sms77/sms')
      .type('form')
      .send({ _csrf: await csrfOf(agent), to: '+491701234567', text: 'hi' })
      .expect(303)
    const after = await agent.get(sent.headers.location!).expect(200)
    expectNoRawMarkup(after.text, 'dashboard after sending')
    expect(after.text).toContain(escaped('alert("sms.id")'))
  })

  it('are escaped on the support console as well', async ({ skip }) => {
    const { agent, email } = await signUp(h.app, 'Hostile Support Org')
    if ((await agent.get('/support')).status === 404) skip('the support console is not mounted yet')
    await connectHostile(agent)
    const user = (await h.services.users.findForLogin(email))!.user
    const supportEmail = uniqueEmail('support')
    await h.services.users.create({
      tenantId: user.tenantId,
      email: supportEmail,
      passwordHash: await hashPassword('correct horse battery'),
      role: 'support',
    })
    const support = supertest.agent(h.app)
    const page = await support.get('/login').expect(200)
    await support
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: supportEmail, password: 'correct horse battery' })
      .expect(303)
    const list = await support.get('/support').expect(200)
    expectNoRawMarkup(list.text, '/support')
    expect(list.text).toMatch(/alert\(&#34;(me\.email|me\.company|nexmo\.api_key)&#34;\)/)
    const csv = await support.get('/support/export.csv').expect(200)
    // A CSV is not HTML, but no cell may start a spreadsheet formula: the provider's `=HYPERLINK` is defused.
    expect(csv.text).toContain(`"'=HYPERLINK(""https://evil.test"")`)
    for (const line of csv.text.split('\r\n').filter(Boolean)) {
      for (const cell of line.match(/"([^"]|"")*"/g) ?? []) expect(cell, line).not.toMatch(/^"[=+\-@\t\r]/)
    }
  })

  it('a hostile account label is escaped on the card, and a stored free-text reason is never shown', async () => {
    const { agent, email } = await signUp(t.app)
    await connectSms77(t, agent, ['balance'])
    const user = (await t.services.users.findForLogin(email))!.user
    const ref = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' as const }
    const record = (await t.services.store.get(ref))!
    await t.services.store.saveGrant(ref, { ...record.grant, accountLabel: xss('stored.label') })
    const { generation } = (await t.services.store.get(ref))!
    await t.services.store.markNeedsReconnect(ref, generation, xss('stored.reason'))
    const dash = await agent.get('/dashboard').expect(200)
    expectNoRawMarkup(dash.text, 'needs-reconnect card')
    expect(dash.text).toContain(escaped('alert("stored.label")'))
    // Reasons are a closed list (DESIGN.md): the card says what the list says, never stored text.
    expect(dash.text).not.toContain('stored.reason')
    expect(dash.text).toContain('sms77 no longer accepts this connection; reconnect to continue.')
  })
})

describe('strings a visitor or user controls', () => {
  it('organisation name and email are escaped when the sign-up form is shown again', async () => {
    const agent = supertest.agent(t.app)
    const csrf = csrfFrom((await agent.get('/signup').expect(200)).text)
    const org = `"><script>alert("org")</script>`
    const res = await agent
      .post('/signup')
      .type('form')
      .send({
        _csrf: csrf,
        organization: org,
        email: `"><script>alert("signup.email")</script>`,
        password: 'short',
      })
      .expect(400)
    expectNoRawMarkup(res.text, 'signup form')
    expect(res.text).toContain(`value="${escaped(org)}"`)
  })

  it('an email typed at sign-in is escaped when the form is shown again', async () => {
    const agent = supertest.agent(t.app)
    const csrf = csrfFrom((await agent.get('/login').expect(200)).text)
    const email = `"onfocus="alert(1)" autofocus="<script>alert("login.email")</script>`
    const res = await agent
      .post('/login')
      .type('form')
      .send({ _csrf: csrf, email, password: 'whatever' })
      .expect(401)
    expectNoRawMarkup(res.text, 'login form')
    expect(res.text).toContain(escaped('alert("login.email")'))
  })

  it('a stored organisation name and a stored email with markup are escaped on every page of a signed-in admin', async () => {
    const orgName = `<script>alert("tenant.name")</script>`
    const { agent, email } = await signUp(t.app, orgName)
    const admin = (await t.services.users.findForLogin(email))!.user
    // An email no form would accept, stored directly, as an older record or the CLI might have.
    const odd = `<script>alert("user.email")</script>@example.test`
    await t.services.users.create({
      tenantId: admin.tenantId,
      email: odd,
      passwordHash: await hashPassword('correct horse battery'),
      role: 'admin',
    })
    const other = supertest.agent(t.app)
    const page = await other.get('/login').expect(200)
    await other
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: odd, password: 'correct horse battery' })
      .expect(303)
    for (const path of ['/dashboard', '/support', '/admin/users', '/admin/credentials', '/admin/audit']) {
      for (const who of [agent, other]) {
        const res = await who.get(path)
        if (res.status === 404) continue
        expect(res.status, path).toBe(200)
        expectNoRawMarkup(res.text, path)
      }
    }
    const dash = await other.get('/dashboard').expect(200)
    expect(dash.text).toContain(escaped(odd.toLowerCase()))
  })

  it('error and error_description from the callback are escaped in the message shown', async () => {
    const { agent } = await signUp(t.app)
    for (const [error, description] of [
      ['access_denied', xss('error_description')],
      [`<script>alert("error")</script>`, xss('error_description.2')],
    ]) {
      const csrf = await csrfOf(agent)
      const begun = await agent
        .post('/connect/sms77')
        .type('form')
        .send({ _csrf: csrf, scope: 'balance' })
        .expect(303)
      const state = new URL(begun.headers.location!).searchParams.get('state')!
      await agent
        .get(
          `/oauth_redirect?state=${state}&error=${encodeURIComponent(error!)}&error_description=${encodeURIComponent(description!)}`,
        )
        .expect(303)
        .expect('location', '/dashboard')
      const dash = await agent.get('/dashboard').expect(200)
      expectNoRawMarkup(dash.text, `dashboard after error=${error}`)
      // The provider's free text is not shown at all (issue 16), escaped or not; our words are.
      expect(dash.text).not.toContain(escaped(description!.slice(0, 40)))
      expect(dash.text).toMatch(/Access denied: Deny was pressed at sms77|sms77 could not give access, so/)
    }
  })

  it('nothing from the URL is reflected on the 404 and 400 pages', async () => {
    const marker = `<script>alert("path")</script>`
    for (const path of [
      `/nope/${encodeURIComponent(marker)}`,
      `/oauth_redirect?state[]=${encodeURIComponent(marker)}`,
    ]) {
      const { agent } = await signUp(t.app)
      const res = await agent.get(path)
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
      expectNoRawMarkup(res.text, path)
      expect(res.text).not.toContain('alert(')
    }
  })
})

describe('Content-Security-Policy and companion headers', () => {
  function directives(header: string): Map<string, string[]> {
    return new Map(
      header
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((parts) => parts[0])
        .map(([name, ...values]) => [name!.toLowerCase(), values]),
    )
  }

  it('allows scripts only from self: no unsafe-inline, unsafe-eval, data: or wildcard, on every kind of page', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent, ['balance', 'analytics', 'journal', 'sms'])
    const pages: Array<[string, supertest.Response]> = [
      ['GET /login', await supertest(t.app).get('/login')],
      ['GET /signup', await supertest(t.app).get('/signup')],
      ['GET /dashboard', await agent.get('/dashboard')],
      ['GET /no-such-page', await agent.get('/no-such-page')],
      ['GET /oauth_redirect (bad state)', await agent.get('/oauth_redirect?state=x&code=y')],
      [
        'POST /dashboard/refresh (no CSRF token)',
        await agent.post('/dashboard/refresh').type('form').send({}),
      ],
    ]
    for (const [label, res] of pages) {
      const csp = directives(String(res.headers['content-security-policy'] ?? ''))
      const where = `${label} (${res.status})`
      const scriptSrc = csp.get('script-src') ?? csp.get('default-src')
      expect(scriptSrc, where).toEqual(["'self'"])
      expect(csp.get('default-src'), where).toEqual(["'self'"])
      expect(csp.get('object-src'), where).toEqual(["'none'"])
      expect(csp.get('base-uri'), where).toEqual(["'self'"])
      expect(csp.get('frame-ancestors'), where).toEqual(["'none'"])
      expect(csp.get('script-src-attr') ?? ["'none'"], where).not.toContain("'unsafe-inline'")
      // form-action: ourselves and exactly the configured providers' origins.
      expect(new Set(csp.get('form-action')), where).toEqual(
        new Set(["'self'", new URL(t.config.sms77.oauthUrl).origin, new URL(t.config.nexmo.oauthUrl).origin]),
      )
      expect(res.headers['x-content-type-options'], where).toBe('nosniff')
      expect(res.headers['referrer-policy'], where).toBe('no-referrer')
      if (String(res.headers['content-type']).startsWith('text/html')) {
        // The pages work under this policy: no inline script for it to block.
        expect(res.text.match(/<script(?![^>]*\ssrc=)[^>]*>/gi), where).toBeNull()
        expectNoRawMarkup(res.text, where)
      }
    }
  })
})
