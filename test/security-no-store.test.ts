/**
 * Issue 28, finding 5: after Log out, Back must not show a signed-in page from the browser's
 * back/forward cache. Every page that depends on a session, and every API answer, says
 * `Cache-Control: no-store` (Chrome keeps no such page in its bfcache); static files may be kept.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { api, createApiKey } from './helpers/api.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'no-store' })
})
afterAll(() => t.close())

const noStore = (res: { headers: Record<string, string | string[] | undefined> }) =>
  String(res.headers['cache-control'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .includes('no-store')

describe('Cache-Control: no-store on private answers', () => {
  it('is sent by every signed-in page, the warm dashboard included, and by error pages', async () => {
    const { agent } = await signUp(t.app, 'No Store Org')
    const first = await agent.get('/dashboard').expect(200)
    const warm = await agent.get('/dashboard').expect(200) // served from the kept page
    for (const res of [first, warm]) expect(noStore(res), 'dashboard').toBe(true)
    for (const path of ['/account', '/admin/users', '/admin/credentials', '/admin/api-keys'])
      expect(noStore(await agent.get(path).expect(200)), path).toBe(true)
    expect(noStore(await agent.get('/dashboard?x=1').expect(200)), 'dashboard, full chain').toBe(true)
    expect(noStore(await agent.get('/no/such/page').expect(404))).toBe(true)
  })

  it('is sent by every API answer, refusals included', async () => {
    const { agent } = await signUp(t.app, 'No Store API')
    const key = await createApiKey(agent, 'no-store key', ['read'])
    expect(noStore(await api(t.app, key).get('/api/v1/connections').expect(200))).toBe(true)
    expect(noStore(await api(t.app).get('/api/v1/connections').expect(401))).toBe(true)
  })

  it('leaves static files cacheable', async () => {
    const css = await supertest(t.app).get('/public/app.css').expect(200)
    expect(noStore(css)).toBe(false)
    expect(css.headers['cache-control']).toMatch(/max-age=3600/)
  })
})
