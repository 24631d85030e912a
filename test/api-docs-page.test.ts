/**
 * `/api/docs` is a page like the others (issues 23, 29): it shows the signed-in person's
 * header and speaks their language, though `/api` is mounted before sessions. The JSON API
 * beside it stays session-free: no session made, no cookie set, even for a browser that
 * carries one.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { api, createApiKey } from './helpers/api.js'
import { keysUnder } from './helpers/redis.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'api-docs-page' })
})
afterAll(() => t.close())

const sessionKeys = async () => (await keysUnder(t.prefix)).filter((k) => k.startsWith('sess:'))
const htmlLang = (html: string) => /<html lang="([a-z]+)">/.exec(html)?.[1]
const header = (html: string) => /<header class="top">([\s\S]*?)<\/header>/.exec(html)?.[1] ?? ''

describe('/api/docs with a session', () => {
  it('shows a signed-in person their email and Log out, not Sign in', async () => {
    const { agent, email } = await signUp(t.app, 'Docs Co')
    const page = await agent.get('/api/docs').set('Accept-Language', 'en').expect(200)
    const top = header(page.text)
    expect(top).toContain(`<a class="email" href="/account">${email}</a>`)
    expect(top).toContain('Log out')
    expect(top).toMatch(
      /<form method="post" action="\/logout"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">/,
    )
    expect(top).not.toContain('Sign in')
    expect(top).not.toContain('Create organisation')
    // The signed-out language switcher is not shown to a signed-in person.
    expect(page.text).not.toContain('class="languages"')
    // The Log out form's token is the session's: it signs the person out.
    const token = /name="_csrf" value="([^"]+)"/.exec(top)![1]!
    await agent.post('/logout').type('form').send({ _csrf: token }).expect(303)
    const after = await agent.get('/api/docs').expect(200)
    expect(header(after.text)).toContain('Sign in')
    expect(header(after.text)).not.toContain(email)
  })

  it("is in a German person's language whatever the browser asks for", async () => {
    const { agent, email } = await signUp(t.app, 'Docs GmbH')
    const token = await csrfOf(agent, '/account')
    await agent.post('/account').type('form').send({ _csrf: token, language: 'de', timeZone: '' }).expect(303)
    const page = await agent.get('/api/docs').set('Accept-Language', 'en').expect(200)
    expect(page.headers['content-language']).toBe('de')
    expect(htmlLang(page.text)).toBe('de')
    expect(header(page.text)).toContain(email)
    expect(header(page.text)).toContain('Abmelden')
    expect(page.text).toContain('<h2>Beispiele</h2>')
    expect(page.text).not.toContain('aria-current="true">English')
  })

  it('stores no session for an anonymous visitor, who sees Sign in in their own language', async () => {
    const before = await sessionKeys()
    const en = await supertest(t.app).get('/api/docs').set('Accept-Language', 'en').expect(200)
    expect(en.headers['set-cookie']).toBeUndefined()
    expect(header(en.text)).toContain('Sign in')
    expect(header(en.text)).not.toContain('Log out')
    const de = await supertest(t.app).get('/api/docs/').set('Accept-Language', 'de').expect(200)
    expect(de.headers['set-cookie']).toBeUndefined()
    expect(htmlLang(de.text)).toBe('de')
    expect(header(de.text)).toContain('Anmelden')
    // A browser whose old session cookie names nothing gets no new session either.
    const stale = await supertest(t.app).get('/api/docs').set('Cookie', 'sb.sid=s%3Anothing.here').expect(200)
    expect(stale.headers['set-cookie']).toBeUndefined()
    expect(await sessionKeys()).toEqual(before)
  })
})

describe('the JSON API beside it', () => {
  it('never sets a cookie or touches a session, even for a signed-in browser', async () => {
    const { agent } = await signUp(t.app, 'Docs API Co')
    const key = await createApiKey(agent, 'docs page test', ['read'])
    const before = await sessionKeys()
    const answers = [
      await agent.get('/api/v1/openapi.json').expect(200),
      await agent.get('/api/v1/connections').set('Authorization', `Bearer ${key}`).expect(200),
      await agent.get('/api/v1/connections').expect(401),
      await agent.get('/api/v1/nope').set('Authorization', `Bearer ${key}`).expect(404),
      await api(t.app, key).get('/api/v1/connections').expect(200),
      await api(t.app).get('/api/docs/assets/swagger-ui.css').expect(200),
    ]
    for (const res of answers) expect(res.headers['set-cookie']).toBeUndefined()
    expect(await sessionKeys()).toEqual(before)
  })
})
