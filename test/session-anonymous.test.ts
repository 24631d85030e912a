/**
 * Anonymous traffic (scanners, health checks, static files, a bookmarked page after the
 * session expired) must not fill Redis with sessions: only a page with a form that needs
 * a CSRF token (GET /login, GET /signup) starts one.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { keysUnder } from './helpers/redis.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'anon-sessions' })
})
afterAll(() => t.close())

const sessionKeys = async () => (await keysUnder(t.prefix)).filter((k) => k.startsWith('sess:'))

describe('anonymous requests', () => {
  it('store no session for 404s, JSON 401s, redirects, static files and health checks', async () => {
    const before = await sessionKeys()
    const anon = () => supertest(t.app)
    const answers = [
      (await anon().get('/nope')).status,
      (await anon().get('/nope').set('Accept', 'application/json')).status,
      (await anon().post('/nope')).status,
      (await anon().get('/dashboard').set('Accept', 'application/json')).status,
      (await anon().get('/dashboard')).status,
      (await anon().get('/')).status,
      (await anon().get('/public/app.css')).status,
      (await anon().get('/favicon.ico')).status,
      (await anon().get('/healthz')).status,
      (await anon().get('/readyz')).status,
    ]
    expect(answers).toEqual([404, 404, 403, 401, 303, 303, 200, 200, 200, 200])
    const res = await anon().get('/nope')
    expect(res.headers['set-cookie']).toBeUndefined()
    expect(await sessionKeys()).toEqual(before)
  })

  it('starts one session for the sign-in form, whose CSRF token must live somewhere', async () => {
    const before = await sessionKeys()
    const res = await supertest(t.app).get('/login').expect(200)
    expect(res.text).toMatch(/name="_csrf" value="[^"]+"/)
    expect(res.headers['set-cookie']?.[0]).toMatch(/^sb\.sid=/)
    expect((await sessionKeys()).length).toBe(before.length + 1)
  })
})
