/**
 * The kept page's door (issue 30, item 5): a warm dashboard reload answered before the
 * session middleware must look exactly like the normal chain's answer (headers, the rolling
 * cookie, the session's sliding TTL, the request log) and must never outlive what ends a
 * session: a logout, a password change elsewhere, a forged cookie.
 */
import express from 'express'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { SessionPeek } from '../src/auth/session-peek.js'
import { userKey } from '../src/redis/keys.js'
import type { PageCache } from '../src/dashboard/page-cache.js'
import RedisStore from 'connect-redis'
import { PageStateReader } from '../src/dashboard/page-state.js'
import { pageKey } from '../src/dashboard/page-server.js'
import { csrfFrom, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'kept-door' })
})
afterAll(() => t.close())

async function warmUser() {
  const u = await signUp(t.app)
  await connectSms77(t, u.agent, ['balance'])
  await u.agent.get('/dashboard').expect(200) // the connect's flash, once
  const kept = await u.agent.get('/dashboard').expect(200)
  const cookie = setCookie(kept.headers).split(';')[0]!
  const user = (await t.services.users.findForLogin(u.email))!.user
  return { ...u, user, cookie }
}

const sms77Card = (html: string) =>
  /<section class="card provider" aria-labelledby="card-sms77">[\s\S]*?<\/section>/.exec(html)![0]
const setCookie = (h: Record<string, unknown>) => (h['set-cookie'] as string[] | undefined)?.[0] ?? ''
const sidOf = (cookie: string) =>
  decodeURIComponent(cookie.slice('sb.sid='.length))
    .replace(/^s:/, '')
    .replace(/\.[^.]+$/, '')

/** GET /dashboard with `cookie`, and whether the door answered it. */
async function viaDoor(agent: Agent | ReturnType<typeof supertest>, cookie?: string) {
  const roll = vi.spyOn(SessionPeek.prototype, 'roll')
  try {
    const req = agent.get('/dashboard')
    const res = await (cookie ? req.set('Cookie', cookie) : req)
    return { res, door: roll.mock.calls.length > 0 }
  } finally {
    roll.mockRestore()
  }
}

describe('the kept page door', () => {
  it('answers a warm reload with the normal chain’s headers, rolling cookie and sliding session TTL', async () => {
    const u = await warmUser()
    const key = `sess:${sidOf(u.cookie)}`
    await t.redis.expire(key, 60)
    const before = Date.now()
    const kept = await viaDoor(u.agent)
    expect(kept.door).toBe(true)
    expect(kept.res.status).toBe(200)
    expect(await t.redis.ttl(key)).toBeGreaterThan(8 * 3600 - 30)
    // Any other URL of the page takes the normal chain (express-session, localize, helmet…).
    const roll = vi.spyOn(SessionPeek.prototype, 'roll')
    const chain = await u.agent.get('/dashboard?from=mail').expect(200)
    expect(roll).not.toHaveBeenCalled()
    roll.mockRestore()
    const same = (h: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(h).filter(([k]) => !/^(content-length|date|etag|set-cookie|x-request-id)$/.test(k)),
      )
    expect(same(kept.res.headers)).toEqual(same(chain.headers))
    const [door, express] = [setCookie(kept.res.headers), setCookie(chain.headers)]
    const withoutExpiry = (c: string) => c.replace(/Expires=[^;]+/, 'Expires=…')
    expect(withoutExpiry(door)).toBe(withoutExpiry(express))
    expect(door).toContain(u.cookie)
    const expires = Date.parse(/Expires=([^;]+)/.exec(door)![1]!)
    expect(expires).toBeGreaterThanOrEqual(before + 8 * 3600_000 - 1000)
    // The same page, with the session's own token, as the normal chain renders it.
    expect(csrfFrom(kept.res.text)).toBe(csrfFrom(chain.text))
  })

  it('names the person in the request log, as for every signed-in page', async () => {
    const u = await warmUser()
    const id = `door-${Date.now()}`
    const roll = vi.spyOn(SessionPeek.prototype, 'roll')
    await u.agent.get('/dashboard').set('x-request-id', id).expect(200)
    expect(roll).toHaveBeenCalled()
    roll.mockRestore()
    await new Promise((r) => setTimeout(r, 20))
    const line = t.logs
      .flatMap((l) => l.split('\n').filter(Boolean))
      .map((l) => JSON.parse(l) as { req?: { id: string }; userId?: string; tenantId?: string })
      .find((l) => l.req?.id === id)
    expect(line?.userId).toBe(u.user.id)
    expect(line?.tenantId).toBe(u.user.tenantId)
  })

  it('never answers for a cookie whose signature does not hold', async () => {
    const u = await warmUser()
    const forged = u.cookie.slice(0, -2) + (u.cookie.endsWith('A') ? 'BB' : 'AA')
    const res = await viaDoor(supertest(t.app), forged)
    expect(res.door).toBe(false)
    expect(res.res.status).toBe(303)
    expect(res.res.headers.location).toBe('/login')
  })

  it('ends at once with a logout in another tab, a password change elsewhere or a removed user', async () => {
    const out = await warmUser()
    expect((await viaDoor(supertest(t.app), out.cookie)).door).toBe(true)
    const token = csrfFrom((await out.agent.get('/account').expect(200)).text)
    await out.agent.post('/logout').type('form').send({ _csrf: token }).expect(303)
    const after = await viaDoor(supertest(t.app), out.cookie)
    expect([after.door, after.res.status, after.res.headers.location]).toEqual([false, 303, '/login'])

    const changed = await warmUser()
    expect((await viaDoor(supertest(t.app), changed.cookie)).door).toBe(true)
    const ukey = userKey(changed.user.tenantId, changed.user.id)
    await t.redis.hset(ukey, 'sessionsValidAfter', String(Date.now() + 1000))
    const ended = await viaDoor(supertest(t.app), changed.cookie)
    expect([ended.door, ended.res.status, ended.res.headers.location]).toEqual([false, 303, '/login'])

    const removed = await warmUser()
    expect((await viaDoor(supertest(t.app), removed.cookie)).door).toBe(true)
    await t.services.users.remove(removed.user)
    const gone = await viaDoor(supertest(t.app), removed.cookie)
    expect([gone.door, gone.res.status, gone.res.headers.location]).toEqual([false, 303, '/login'])
  })

  it('leaves a session that holds something for the next page to the normal chain', async () => {
    const u = await warmUser()
    const key = `sess:${sidOf(u.cookie)}`
    const stored = JSON.parse((await t.redis.get(key))!) as Record<string, unknown>
    await t.redis.set(
      key,
      JSON.stringify({ ...stored, flash: [{ kind: 'info', text: 'Once only.' }] }),
      'KEEPTTL',
    )
    const once = await viaDoor(supertest(t.app), u.cookie)
    expect(once.door).toBe(false)
    expect(once.res.text).toContain('Once only.')
    expect((await viaDoor(supertest(t.app), u.cookie)).door).toBe(true)
  })
})

describe('the rolling cookie of a session read without express-session', () => {
  it('is not set for a Secure cookie over plain HTTP, and set with Secure behind an HTTPS proxy', async () => {
    const peek = new SessionPeek(t.redis, 'secret')
    const record = {
      cookie: { originalMaxAge: 60_000, secure: true, httpOnly: true, path: '/', sameSite: 'lax' as const },
    }
    const app = express()
    app.set('trust proxy', true)
    app.get('/', (req, res) => {
      peek.roll(req, res, { signed: 's:abc.def', sid: 'abc' }, record)
      res.end('ok')
    })
    const plain = await supertest(app).get('/').expect(200)
    expect(plain.headers['set-cookie']).toBeUndefined()
    const proxied = await supertest(app).get('/').set('X-Forwarded-Proto', 'https').expect(200)
    expect(setCookie(proxied.headers)).toMatch(
      /^sb\.sid=s%3Aabc\.def; Path=\/; Expires=[^;]+ GMT; HttpOnly; Secure; SameSite=Lax$/,
    )
  })
})

describe('what the door builds', () => {
  it('builds a page it could not take from memory without the session middleware, from the state it read', async () => {
    const u = await warmUser()
    const pages = t.app.get('dashboard pages') as PageCache
    const peek = vi.spyOn(SessionPeek.prototype, 'read')
    const state = vi.spyOn(PageStateReader.prototype, 'read')
    const store = vi.spyOn(RedisStore.prototype, 'get')
    try {
      // A role change: the kept page no longer matches; the door assembles the page from its
      // kept cards with the state it read (one read of each), express-session never asked.
      await t.services.users.setRole(u.user.tenantId, u.user.id, 'member')
      const changed = await viaDoor(u.agent)
      expect(changed.door).toBe(true)
      expect(changed.res.text).toContain('<span class="role badge">member</span>')
      expect([peek.mock.calls.length, state.mock.calls.length, store.mock.calls.length]).toEqual([1, 1, 0])
      // Nothing kept at all (another instance, a restart): built at the door as well.
      pages.drop(pageKey(u.user.tenantId, u.user.id, 'en', undefined))
      await t.services.cache.clear(u.user.tenantId, u.user.id, ['sms77'])
      const built = await viaDoor(u.agent)
      expect(built.door).toBe(true)
      expect(sms77Card(built.res.text)).toContain('connected')
      expect(csrfFrom(built.res.text)).toBe(csrfFrom(changed.res.text))
      expect(store).not.toHaveBeenCalled()
    } finally {
      peek.mockRestore()
      state.mockRestore()
      store.mockRestore()
    }
  })

  it('leaves a session without a CSRF token to the session middleware, which makes and stores one', async () => {
    const u = await warmUser()
    const key = `sess:${sidOf(u.cookie)}`
    const { csrfToken: _dropped, ...stored } = JSON.parse((await t.redis.get(key))!) as Record<
      string,
      unknown
    >
    await t.redis.set(key, JSON.stringify(stored), 'KEEPTTL')
    const first = await viaDoor(supertest(t.app), u.cookie)
    expect([first.door, first.res.status]).toEqual([false, 200])
    const made = (JSON.parse((await t.redis.get(key))!) as { csrfToken?: string }).csrfToken
    expect(made).toBeTruthy()
    expect(csrfFrom(first.res.text)).toBe(made)
    expect((await viaDoor(supertest(t.app), u.cookie)).door).toBe(true)
  })
})
