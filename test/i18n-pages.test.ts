import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { csrfFrom, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import { startSmtpSink } from './helpers/smtp-sink.js'
import { missingKeys } from '../src/i18n/catalogue.js'
import { emailKey, userKey } from '../src/redis/keys.js'

// Issue 18: every page in English and German; the person's choice, else the footer cookie
// (signed out), else Accept-Language, else English.
let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>

beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({ name: 'i18n-pages', env: { SMTP_URL: sink.url } })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

const RAW_KEY =
  /\b(?:common|auth|admin|support|dashboard|mail|api|sandbox):[a-z][\w.]*|\b(?:layout|errors|validation)\.[a-z][\w.]*/
const htmlLang = (html: string) => /<html lang="([^"]+)">/.exec(html)?.[1]
const text = (html: string) => html.replace(/<[^>]+>/g, ' ')
const de = (agent: Agent | supertest.Agent, path: string) =>
  agent.get(path).set('Accept-Language', 'de-DE,de;q=0.9,en;q=0.5')

async function csrf(agent: Agent, path: string, lang = 'de') {
  return csrfFrom((await agent.get(path).set('Accept-Language', lang).expect(200)).text)
}

describe('language from Accept-Language (issue 18)', () => {
  it('shows /login in German to a browser that asks for it, and in English otherwise', async () => {
    const german = await de(supertest(t.app), '/login').expect(200)
    expect(htmlLang(german.text)).toBe('de')
    expect(german.headers['content-language']).toBe('de')
    expect(german.headers.vary).toMatch(/Accept-Language/)
    for (const words of [
      '<title>Anmelden · Switchboard</title>',
      '>E-Mail</label>',
      '>Passwort</label>',
      'Passwort vergessen?',
      'Organisation erstellen',
    ])
      expect(german.text).toContain(words)
    expect(german.text).not.toContain('Sign in')
    const english = await supertest(t.app).get('/login').expect(200)
    expect(htmlLang(english.text)).toBe('en')
    for (const words of [
      '<title>Sign in · Switchboard</title>',
      '>Email</label>',
      '>Password</label>',
      'Forgot your password?',
    ])
      expect(english.text).toContain(words)
  })

  it('weighs q-values: the highest wanted language we have wins, q=0 means not this one', async () => {
    const cases: Array<[string, string]> = [
      ['en;q=0.5, de;q=0.9', 'de'],
      ['fr-CH, fr;q=0.9, de;q=0.1', 'de'],
      ['fr', 'en'],
      ['de;q=0, en;q=0.1', 'en'],
      ['DE-at', 'de'],
      ['*', 'en'],
    ]
    for (const [header, lang] of cases) {
      const res = await supertest(t.app).get('/login').set('Accept-Language', header).expect(200)
      expect([header, htmlLang(res.text)]).toEqual([header, lang])
    }
  })

  it('says validation and rate messages in the reader’s words, never zod’s', async () => {
    const agent = supertest.agent(t.app)
    const token = await csrf(agent, '/signup')
    const res = await agent
      .post('/signup')
      .set('Accept-Language', 'de')
      .type('form')
      .send({ _csrf: token, organization: 'x', email: 'not-an-email', password: 'short' })
      .expect(400)
    expect(res.text).toContain('Geben Sie den Namen Ihrer Organisation ein (mindestens 2 Zeichen).')
    expect(res.text).toContain('Bitte eine gültige E-Mail-Adresse eingeben.')
    expect(res.text).toContain('Bitte mindestens 10 Zeichen verwenden.')
    expect(res.text).not.toMatch(/Too (small|big)|expected string|Invalid/)
  })
})

describe('signed-in pages in German', () => {
  let admin: Agent
  let email: string
  beforeAll(async () => {
    ;({ agent: admin, email } = await signUp(t.app, 'Sprachschule GmbH'))
    await connectSms77(t, admin)
  })

  it('shows the dashboard header, /support with German money and the admin pages in German', async () => {
    const dash = await de(admin, '/dashboard').expect(200)
    expect(htmlLang(dash.text)).toBe('de')
    for (const words of ['>Übersicht</a>', '>Personen</a>', '>Zugangsdaten</a>', '>Abmelden</button>'])
      expect(dash.text).toContain(words)
    for (const words of [
      '<h1>Ihre verbundenen Konten</h1>',
      '>Nexmo verbinden</button>',
      '>sms77 trennen</button>',
      '<span class="badge ok">verbunden</span>',
      '>Guthaben</h3>',
      '>Statistik</h3>',
      '>SMS senden</button>',
      'Weitere Berechtigungen anfragen',
      'Guthaben abfragen',
      ' Nachrichten, ',
    ])
      expect([words, dash.text.includes(words)]).toEqual([words, true])
    // The balance and the chart's money in German, its axis days as German dates.
    expect(dash.text).toMatch(/<p class="stat-big">\d{1,3}(\.\d{3})*,\d{2}\u00a0€<\/p>/)
    expect(dash.text).toMatch(/<text class="tick"[^>]*>\d{2}\.\d{2}\.<\/text>/)
    const support = await de(admin, '/support').expect(200)
    expect(support.text).toContain('<h1>Verbundene Konten</h1>')
    expect(support.text).toContain('1 Konto in Ihrer Organisation.')
    // German money: decimal comma, the euro sign after a no-break space.
    expect(support.text).toMatch(/>\d{1,3}(\.\d{3})*,\d{2}\u00a0€/)
    expect(support.text).not.toMatch(/\d\.\d{2} EUR/)
    const pages: Array<[string, string]> = [
      ['/admin/users', '<h1>Personen Ihrer Organisation</h1>'],
      ['/admin/credentials', '<h1>Zugangsdaten der Anbieter</h1>'],
      ['/admin/api-keys', '<h1>API-Schlüssel</h1>'],
      ['/admin/audit', '<h1>Protokoll</h1>'],
      ['/admin/sso', '<h1>Single Sign-on</h1>'],
      ['/account/two-step', '<h1>Anmeldung in zwei Schritten einrichten</h1>'],
      ['/account', '<h1>Ihr Konto</h1>'],
      ['/api/docs', 'Basis-URL'],
    ]
    for (const [path, heading] of pages) {
      const page = await de(admin, path).expect(200)
      expect([path, page.text.includes(heading)]).toEqual([path, true])
      expect([path, htmlLang(page.text)]).toEqual([path, 'de'])
    }
  })

  it('keeps a failed send’s text and says why in German, never in zod’s or libphonenumber’s words', async () => {
    const token = await csrf(admin, '/dashboard')
    await admin
      .post('/connections/sms77/sms')
      .set('Accept-Language', 'de')
      .type('form')
      .send({ _csrf: token, to: '+49 17', text: 'Hallo Welt' })
      .expect(303)
    const page = await de(admin, '/dashboard').expect(200)
    expect(page.text).toContain(
      'Nicht gesendet: Bitte „An“ prüfen: +49 17 ist keine gültige Telefonnummer: Geben Sie sie mit Ländervorwahl an, z. B. +49 170 1234567.',
    )
    expect(page.text).toContain('>Hallo Welt</textarea>')
  })

  it('renders every page in both languages without a raw key or a missing one', async () => {
    missingKeys.clear()
    const paths = [
      '/login',
      '/signup',
      '/forgot',
      '/reset/nope',
      '/invite/nope',
      '/nowhere',
      '/login/two-step',
      '/sso/callback',
    ]
    const signedIn = [
      '/dashboard',
      '/support',
      '/support?q=nothing-matches',
      '/admin/users',
      '/admin/credentials',
      '/admin/api-keys',
      '/admin/audit',
      '/admin/sso',
      '/account/two-step',
      '/account',
      '/api/docs',
    ]
    for (const lang of ['en', 'de']) {
      for (const path of paths) {
        const page = await supertest(t.app).get(path).set('Accept-Language', lang)
        expect([lang, path, RAW_KEY.exec(text(page.text))?.[0]]).toEqual([lang, path, undefined])
      }
      for (const path of signedIn) {
        const page = await admin.get(path).set('Accept-Language', lang)
        expect([lang, path, page.status]).toEqual([lang, path, 200])
        expect([lang, path, RAW_KEY.exec(text(page.text))?.[0]]).toEqual([lang, path, undefined])
      }
    }
    expect([...missingKeys]).toEqual([])
  })

  it('a low-balance threshold below 0 is told to enter an amount of 0 or more, in either language', async () => {
    for (const [lang, said] of [
      ['en', 'Not saved: Enter an amount of 0 or more.'],
      ['de', 'Nicht gespeichert: Bitte einen Betrag von 0 oder mehr eingeben.'],
    ]) {
      const token = await csrf(admin, '/admin/credentials', lang)
      await admin
        .post('/admin/settings')
        .set('Accept-Language', lang!)
        .type('form')
        .send({ _csrf: token, lowBalanceThreshold: '-1' })
        .expect(303)
      expect((await admin.get('/admin/credentials').set('Accept-Language', lang!)).text).toContain(said)
    }
    const token = await csrf(admin, '/admin/api-keys', 'en')
    const long = await admin
      .post('/admin/api-keys')
      .type('form')
      .send({ _csrf: token, name: 'x'.repeat(81), scopes: 'connections:read' })
    expect(long.text).toContain('Use at most 80 characters.')
    expect(long.text).not.toContain('Too big')
  })

  it('lets the /account choice win over Accept-Language, stored as the user’s `language`', async () => {
    let token = await csrf(admin, '/account', 'de')
    await admin
      .post('/account')
      .set('Accept-Language', 'de')
      .type('form')
      .send({ _csrf: token, language: 'en', timeZone: '' })
      .expect(303)
    const [tenantId, userId] = [await t.redis.get(emailKey(email))].flatMap((v) => (v ?? ':').split(':'))
    expect(await t.redis.hget(userKey(tenantId!, userId!), 'language')).toBe('en')
    const english = await de(admin, '/account').expect(200)
    expect(htmlLang(english.text)).toBe('en')
    expect(english.text).toContain('Language saved.')
    expect(english.text).toMatch(/<option value="en" lang="en" selected>English<\/option>/)
    // The footer cookie is for people not signed in: a chosen language stands.
    const withCookie = await admin.get('/support').set('Cookie', 'sb.lang=de').set('Accept-Language', 'de')
    expect(htmlLang(withCookie.text)).toBe('en')

    token = await csrf(admin, '/account', 'en')
    await admin
      .post('/account')
      .set('Accept-Language', 'en')
      .type('form')
      .send({ _csrf: token, language: 'de', timeZone: 'Europe/Berlin' })
      .expect(303)
    const german = await admin.get('/account').set('Accept-Language', 'en').expect(200)
    expect(htmlLang(german.text)).toBe('de')
    expect(german.text).toContain('Sprache und Zeitzone gespeichert.')
    expect(german.text).toContain('<option value="Europe/Berlin" selected>Europe/Berlin</option>')
    const audit = await admin.get('/admin/audit').set('Accept-Language', 'en').expect(200)
    expect(audit.text).toContain('Wann (Europe/Berlin)')
    expect(audit.text).toMatch(/<td[^>]*>\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2}<\/td>/)

    // Issue 29: changing only the time zone says so, not "language saved".
    token = await csrf(admin, '/account', 'en')
    await admin
      .post('/account')
      .type('form')
      .send({ _csrf: token, language: 'de', timeZone: 'Europe/London' })
      .expect(303)
    const zoneOnly = await admin.get('/account').expect(200)
    expect(zoneOnly.text).toContain('Zeitzone gespeichert.')
    expect(zoneOnly.text).not.toContain('Sprache gespeichert')
    expect(zoneOnly.text).not.toContain('Sprache und Zeitzone')

    token = await csrf(admin, '/account', 'en')
    const bad = await admin
      .post('/account')
      .type('form')
      .send({ _csrf: token, language: 'fr', timeZone: 'Mars/Olympus' })
      .expect(400)
    expect(bad.text).toContain('Bitte wählen Sie eine Sprache.')
    token = await csrf(admin, '/account', 'en')
    await admin.post('/account').type('form').send({ _csrf: token, language: '', timeZone: '' }).expect(303)
    expect(await t.redis.hget(userKey(tenantId!, userId!), 'language')).toBeNull()
    expect(htmlLang((await admin.get('/account').set('Accept-Language', 'en')).text)).toBe('en')
  })
})

describe('the footer switcher for people not signed in', () => {
  it('sets a cookie without a session and goes back to the page; the cookie beats Accept-Language', async () => {
    const login = await supertest(t.app).get('/login').expect(200)
    expect(login.text).toMatch(
      /<nav class="languages" aria-label="Language">.*href="\/language\/de\?next=%2Flogin" lang="de" hreflang="de">Deutsch<\/a>/s,
    )
    const res = await supertest(t.app).get('/language/de?next=%2Flogin').expect(303)
    expect(res.headers.location).toBe('/login')
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? [])
    expect(cookies).toHaveLength(1)
    expect(cookies[0]).toMatch(/^sb\.lang=de; Max-Age=\d+; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/)
    const german = await supertest(t.app)
      .get('/login')
      .set('Cookie', 'sb.lang=de')
      .set('Accept-Language', 'en')
      .expect(200)
    expect(htmlLang(german.text)).toBe('de')
    expect(german.text).toMatch(/<span lang="de" aria-current="true">Deutsch<\/span>/)
    const back = await supertest(t.app)
      .get('/login')
      .set('Cookie', 'sb.lang=en')
      .set('Accept-Language', 'de')
      .expect(200)
    expect(htmlLang(back.text)).toBe('en')
  })

  it('carries the footer choice into the account at sign-up, so the signed-in pages stay German', async () => {
    const agent = supertest.agent(t.app)
    await agent.get('/language/de?next=/signup').expect(303)
    const page = await agent.get('/signup').set('Accept-Language', 'en').expect(200)
    expect(htmlLang(page.text)).toBe('de')
    await agent
      .post('/signup')
      .set('Accept-Language', 'en')
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        organization: 'Umzug KG',
        email: 'umzug@example.test',
        password: 'correct horse battery',
      })
      .expect(303)
    const [tenantId, userId] = ((await t.redis.get(emailKey('umzug@example.test'))) ?? ':').split(':')
    expect(await t.redis.hget(userKey(tenantId!, userId!), 'language')).toBe('de')
    expect(htmlLang((await agent.get('/dashboard').set('Accept-Language', 'en')).text)).toBe('de')
  })

  it('never sends the browser off-site, and ignores a language it does not know', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'login'])
      expect(
        (
          await supertest(t.app)
            .get(`/language/de?next=${encodeURIComponent(next)}`)
            .expect(303)
        ).headers.location,
      ).toBe('/')
    const unknown = await supertest(t.app).get('/language/xx?next=/login').expect(303)
    expect(unknown.headers['set-cookie']).toBeUndefined()
  })
})

describe('mail in the reader’s language', () => {
  it('mails a German reset link to a German browser and an English one otherwise', async () => {
    const { email } = await signUp(t.app, 'Post AG')
    const agent = supertest.agent(t.app)
    const token = await csrf(agent, '/forgot')
    await agent
      .post('/forgot')
      .set('Accept-Language', 'de')
      .type('form')
      .send({ _csrf: token, email })
      .expect(200)
    const mail = await sink.mailTo(email)
    expect(mail.subject).toBe('Ihr Switchboard-Passwort zurücksetzen')
    expect(mail.text).toContain('Öffnen Sie diesen Link innerhalb von 30 Minuten')
    expect(mail.html).toContain(
      '<p>Jemand (hoffentlich Sie) möchte das Passwort Ihres Switchboard-Kontos zurücksetzen.</p>',
    )
  })
})
