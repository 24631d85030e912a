/**
 * The warm dashboard (issue 13): a page kept in memory is served only while every fact it
 * shows still holds, with the requesting session's own CSRF token, and the cache stays
 * within its byte bound.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createApp } from '../src/boot/app.js'
import { PageCache } from '../src/dashboard/page-cache.js'
import { createLogger } from '../src/logging/logger.js'
import { panelCacheKey, userKey } from '../src/redis/keys.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { csrfFrom, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'page-cache' })
})
afterAll(() => t.close())

const pages = () => t.app.get('dashboard pages') as PageCache

async function connectedUser(scopes?: string[]) {
  const u = await signUp(t.app)
  await connectSms77(t, u.agent, scopes)
  const user = (await t.services.users.findForLogin(u.email))!.user
  const ref: ConnectionRef = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' }
  return { ...u, user, ref }
}

/** Loads the dashboard twice (the second is kept) and answers whether a load decrypts tokens. */
async function warm(agent: Agent): Promise<void> {
  await agent.get('/dashboard').expect(200)
  await agent.get('/dashboard').expect(200)
}

async function load(agent: Agent, headers: Record<string, string> = {}) {
  const read = vi.spyOn(t.services.store, 'get')
  try {
    const res = await agent.get('/dashboard').set(headers).expect(200)
    return { html: res.text, rendered: read.mock.calls.length > 0, res }
  } finally {
    read.mockRestore()
  }
}

const sms77Card = (html: string) =>
  /<section class="card provider" aria-labelledby="card-sms77">[\s\S]*?<\/section>/.exec(html)![0]

describe('kept dashboard pages', () => {
  it('serves a warm reload without rendering or decrypting, with no ETag and one session’s own token', async () => {
    const u = await connectedUser()
    await warm(u.agent)
    const first = await load(u.agent)
    expect(first.rendered).toBe(false)
    expect(first.res.headers.etag).toBeUndefined()
    // The same security headers as every other page (helmet runs before this chain).
    const account = await u.agent.get('/account').expect(200)
    const security = (h: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(h).filter(
          ([k]) => !/^(content-length|content-type|date|etag|set-cookie|x-request-id)$/.test(k),
        ),
      )
    expect(security(first.res.headers)).toEqual(security(account.headers))
    expect(first.res.headers['content-security-policy']).toContain("script-src 'self'")
    expect(sms77Card(first.html)).toContain('connected')

    // The same user in a second browser: the kept page, with that session's token.
    const other = supertest.agent(t.app)
    const login = await other.get('/login').expect(200)
    await other
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), email: u.email, password: u.password })
      .expect(303)
    const second = await load(other)
    expect(second.rendered).toBe(false)
    const [mine, theirs] = [csrfFrom(first.html), csrfFrom(second.html)]
    expect(mine).not.toBe(theirs)
    expect(second.html.split(theirs).length).toBe(first.html.split(mine).length)
    expect(second.html).not.toContain('csrf-placeholder')
    // Each token works for its own session only.
    await other.post('/dashboard/refresh').type('form').send({ _csrf: mine }).expect(403)
    await other.post('/dashboard/refresh').type('form').send({ _csrf: theirs }).expect(303)
    await u.agent.post('/dashboard/refresh').type('form').send({ _csrf: mine }).expect(303)
  })

  it('shows a disconnect and a reconnect made behind its back (another instance) at once', async () => {
    const u = await connectedUser(['balance', 'sms'])
    await warm(u.agent)
    await t.services.connections.disconnect(u.ref)
    const after = await load(u.agent)
    expect(sms77Card(after.html)).toContain('not connected')
    await warm(u.agent)
    await connectSms77(t, u.agent, ['balance', 'journal'])
    const again = await load(u.agent)
    expect(sms77Card(again.html)).toContain('<li class="chip">journal</li>')
    expect(sms77Card(again.html)).not.toContain('<li class="chip">sms</li>')
  })

  it('never keeps a page whose connection was disconnected while it was being built', async () => {
    const u = await connectedUser(['balance'])
    await warm(u.agent)
    await t.services.cache.clear(u.ref.tenantId, u.ref.userId, ['sms77']) // the next load renders
    const cache = t.services.cache
    const original = cache.put.bind(cache)
    // After the panels were read and stored, before the page is done: as another instance would.
    const put = vi.spyOn(cache, 'put').mockImplementationOnce(async (...args) => {
      const generation = await original(...args)
      await t.services.connections.disconnect(u.ref)
      return generation
    })
    try {
      const during = await u.agent.get('/dashboard').expect(200)
      expect(put).toHaveBeenCalled()
      expect(sms77Card(during.text)).toContain('<span class="badge ok">connected</span>')
    } finally {
      put.mockRestore()
    }
    const after = await load(u.agent)
    expect(sms77Card(after.html)).toContain('not connected')
  })

  it('follows a role change and sends a removed user to /login at once', async () => {
    const admin = await connectedUser(['balance'])
    await warm(admin.agent)
    expect((await load(admin.agent)).html).toContain('<span class="role badge">admin</span>')
    await t.services.users.setRole(admin.user.tenantId, admin.user.id, 'member')
    const demoted = await load(admin.agent)
    expect(demoted.html).toContain('<span class="role badge">member</span>')
    expect(demoted.html).not.toContain('href="/admin/users"')
    await warm(admin.agent)
    await t.services.users.remove(admin.user)
    await admin.agent.get('/dashboard').expect(303).expect('location', '/login')
  })

  it('keeps one page per language: a language change is never answered from another language’s page', async () => {
    const u = await connectedUser(['balance'])
    await warm(u.agent)
    const kept = pages().size
    expect((await load(u.agent, { 'accept-language': 'de' })).rendered).toBe(true)
    expect((await load(u.agent, { 'accept-language': 'de' })).rendered).toBe(false)
    expect(pages().size).toBe(kept + 1)
    await t.redis.hset(userKey(u.user.tenantId, u.user.id), 'language', 'de')
    const german = await load(u.agent)
    expect(german.rendered).toBe(false) // the German page, as the header asked before
    expect(german.html).toContain('<html lang="de">')
    expect(german.html).toContain('<h1>Ihre verbundenen Konten</h1>')
    expect(german.res.headers['content-language']).toBe('de')
    await t.redis.hset(userKey(u.user.tenantId, u.user.id), 'language', 'en')
    const english = await load(u.agent, { 'accept-language': 'de' })
    expect(english.rendered).toBe(false) // the English page kept first: the person's choice wins
    expect(english.html).toContain('<html lang="en">')
    expect(english.html).not.toContain('Ihre verbundenen Konten')
    expect(english.res.headers['content-language']).toBe('en')
    // A time zone changes dates and times on the page: another page too.
    await t.redis.hset(userKey(u.user.tenantId, u.user.id), 'timeZone', 'Europe/Berlin')
    expect((await load(u.agent)).rendered).toBe(true)
    expect((await load(u.agent)).rendered).toBe(false)
    expect(pages().size).toBe(kept + 2)
    // Any other URL of the page takes the normal chain, and is not kept.
    await u.agent.get('/dashboard?from=mail').expect(200)
    expect(pages().size).toBe(kept + 2)
  })

  it('shows flash messages and notices once, on the normal path, and never keeps them', async () => {
    const u = await connectedUser(['balance'])
    await warm(u.agent)
    const token = csrfFrom((await load(u.agent)).html)
    await u.agent.post('/dashboard/refresh').type('form').send({ _csrf: token }).expect(303)
    expect((await u.agent.get('/dashboard').expect(200)).text).toContain('Refreshed from the providers.')
    expect((await load(u.agent)).html).not.toContain('Refreshed from the providers.')
    await t.services.notifier.statusChanged(u.ref, 'connected', 'needs_reconnect')
    expect((await u.agent.get('/dashboard').expect(200)).text).toContain('stopped working')
    expect((await load(u.agent)).html).not.toContain('stopped working')
  })
})

describe('what the session holds for the next page only', () => {
  it('shows the ticks of a denied connect once, on the normal path, even with no message beside them', async () => {
    const u = await signUp(t.app)
    await warm(u.agent)
    const page = await load(u.agent)
    const cookie = (page.res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!
    const sid = decodeURIComponent(cookie.slice('sb.sid='.length))
      .replace(/^s:/, '')
      .replace(/\.[^.]+$/, '')
    const stored = JSON.parse((await t.redis.get(`sess:${sid}`))!) as Record<string, unknown>
    stored.askedScopes = { provider: 'sms77', scopes: ['voice'] }
    await t.redis.set(`sess:${sid}`, JSON.stringify(stored), 'KEEPTTL')
    const ticked = (html: string) => /value="voice" checked/.test(html)
    expect(ticked((await u.agent.get('/dashboard').expect(200)).text)).toBe(true)
    expect(ticked((await load(u.agent)).html)).toBe(false)
  })
})

describe('card HTML kept beside the panel cache', () => {
  it('lets another instance assemble the page from kept cards, decrypting nothing', async () => {
    const u = await connectedUser()
    await u.agent.get('/dashboard').expect(200) // shows the flash of the connect
    const first = await load(u.agent)
    const kept = await t.services.cache.keptCards(u.ref.tenantId, u.ref.userId, ['sms77'], 'en|')
    expect(kept[0]?.html).toContain('card-sms77')
    const other = createApp({ config: t.config, redis: t.redis, logger: createLogger('silent') }, t.services)
    const agent = supertest.agent(other)
    const cookie = (first.res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!
    const read = vi.spyOn(t.services.store, 'get')
    try {
      const res = await agent.get('/dashboard').set('Cookie', cookie).expect(200)
      expect(read).not.toHaveBeenCalled()
      expect(res.text).toBe(first.html)
    } finally {
      read.mockRestore()
    }
  })

  it('never lets a card rendered from an older cache state overwrite a newer one', async () => {
    const u = await connectedUser(['balance'])
    await u.agent.get('/dashboard').expect(200)
    const { tenantId, userId } = u.ref
    const cache = t.services.cache
    const old = (await cache.read(tenantId, userId, 'sms77')).generation
    expect(old).not.toBe('')
    const newer = await cache.put(tenantId, userId, 'sms77', { extra: 1 }, old)
    expect(newer).toBeTruthy()
    const card = { fingerprint: 'f', html: '<p>old</p>' }
    expect(await cache.keepCard(tenantId, userId, 'sms77', 'en', { ...card, generation: old })).toBe(false)
    expect(await cache.keepCard(tenantId, userId, 'sms77', 'en', { ...card, generation: newer! })).toBe(true)
    expect(await cache.put(tenantId, userId, 'sms77', { more: 2 }, old)).toBeNull() // not from `old` any more
    const [kept] = await cache.keptCards(tenantId, userId, ['sms77'], 'en')
    expect(kept).toEqual({ ...card, generation: newer })
    await cache.clear(tenantId, userId, ['sms77'])
    expect(await cache.keptCards(tenantId, userId, ['sms77'], 'en')).toEqual([undefined])
  })
})

describe('a page seen again after its panel cache lapsed', () => {
  it('reads neither the empty cache nor kept cards before its calls, and keeps what it built', async () => {
    const u = await connectedUser()
    await warm(u.agent)
    // The answers lapse after 30 s (Refresh empties the cache the same way).
    await t.redis.del(panelCacheKey(u.ref.tenantId, u.ref.userId, 'sms77'))
    const read = vi.spyOn(t.services.cache, 'read')
    const kept = vi.spyOn(t.services.cache, 'keptCards')
    try {
      const built = await load(u.agent)
      expect(built.rendered).toBe(true)
      expect(read).not.toHaveBeenCalled()
      expect(kept).not.toHaveBeenCalled()
    } finally {
      read.mockRestore()
      kept.mockRestore()
    }
    // What it built was kept as usual: the next reload is answered from it.
    expect((await load(u.agent)).rendered).toBe(false)
  })
})

describe('the page cache’s byte bound', () => {
  it('never holds more than its bound, dropping the least recently used first', () => {
    const cache = new PageCache(64 * 1024)
    const facts = { role: 'member', email: 'a@example.test', versions: 'sms77=none:' }
    const page = [Buffer.alloc(10_000, 'a'), Buffer.alloc(2_000, 'b')]
    for (let i = 0; i < 20; i++) {
      cache.keep(`page-${i}`, facts, page)
      if (i === 10) cache.take('page-5', facts) // used recently: outlives older pages
      expect(cache.bytes).toBeLessThanOrEqual(64 * 1024)
    }
    expect(cache.size).toBe(5)
    expect(cache.take('page-19', facts)).toBe(page)
    expect(cache.take('page-5', facts)).toBeUndefined()
    expect(cache.take('page-0', facts)).toBeUndefined()
    cache.keep('huge', facts, [Buffer.alloc(65 * 1024)])
    expect(cache.take('huge', facts)).toBeUndefined()
    expect(cache.bytes).toBeLessThanOrEqual(64 * 1024)
    expect(cache.take('page-19', { ...facts, role: 'admin' })).toBeUndefined()
    expect(cache.take('page-19', facts)).toBeUndefined() // a mismatch drops it
  })
})
