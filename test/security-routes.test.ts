/**
 * Guards that walk the app's own route table, so a route added later is covered without
 * editing this file: CSRF on every state-changing route, sign-in on every private route,
 * roles on every /support and /admin route, and tenant isolation on every route.
 */
import type { Express } from 'express'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  csrfFrom,
  csrfOf,
  signUp,
  startTestApp,
  uniqueEmail,
  type Agent,
  type TestApp,
} from './helpers/app.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { keysUnder } from './helpers/redis.js'
import { hashPassword } from '../src/auth/passwords.js'
import type { Role } from '../src/auth/user-store.js'

interface RouteInfo {
  method: string
  path: string
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> }
  handle?: { stack?: Layer[] }
  rawPath?: string | string[]
}

/** Every method + path the app answers, read from Express 5's router (mounted prefixes included). */
function routesOf(app: Express): RouteInfo[] {
  const found: RouteInfo[] = []
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const p of [layer.route.path].flat()) {
          for (const m of Object.keys(layer.route.methods))
            if (m !== '_all') found.push({ method: m.toUpperCase(), path: prefix + p })
        }
      } else if (layer.handle?.stack && typeof layer.rawPath === 'string') {
        walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : layer.rawPath))
      }
    }
  }
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '')
  return found.filter((r) => !r.path.startsWith('/sandbox'))
}

// The tenant API authenticates by bearer key, never by cookie, so CSRF and the sign-in
// redirect do not apply to it; its own rule is checked below (and in test/api*.test.ts).
// The MCP server (/mcp) is the same API for agents, with the same keys (test/mcp.test.ts).
const isApi = (r: RouteInfo) => r.path.startsWith('/api/') || /^\/mcp(\/|$)/.test(r.path)

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
// Pages anyone may see: the forms to get in, and the operator's probes.
// Getting back in (issue 15): the reset and invitation links are the credential themselves.
const GETTING_IN = ['/forgot', '/reset/:token', '/invite/:token']
// Staff sign-in (issue 23): the second step after a password, and single sign-on's way in and back.
const SIGNING_IN = ['/login/two-step', '/login/sso', '/sso/callback']
const PUBLIC_GETS = new Set([
  '/',
  '/signup',
  '/login',
  '/healthz',
  '/readyz',
  '/metrics',
  '/favicon.ico',
  // The footer's language switcher (issue 18): a cookie and a redirect, for people not signed in.
  '/language/:lang',
  ...GETTING_IN,
  ...SIGNING_IN,
])
const PUBLIC_POSTS = new Set(['/signup', '/login', '/logout', ...GETTING_IN, ...SIGNING_IN])
const PRIVILEGED = /^\/(support|admin)(\/|$)/

let t: TestApp
let routes: RouteInfo[]

beforeAll(async () => {
  t = await startTestApp({ name: 'sec-routes' })
  routes = routesOf(t.app).filter((r) => !isApi(r))
})
afterAll(() => t.close())

async function idOf(email: string): Promise<{ tenantId: string; userId: string }> {
  const found = await t.services.users.findForLogin(email)
  return { tenantId: found!.user.tenantId, userId: found!.user.id }
}

/** A user of an existing tenant with this role, signed in through the real form. */
async function addSignedIn(
  tenantId: string,
  role: Role,
): Promise<{ agent: Agent; email: string; userId: string }> {
  const email = uniqueEmail(role)
  const password = 'correct horse battery'
  const user = await t.services.users.create({
    tenantId,
    email,
    passwordHash: await hashPassword(password),
    role,
  })
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login').expect(200)
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password })
    .expect(303)
  return { agent, email, userId: user.id }
}

/** Fills route parameters: a provider that exists, and for ids the given victim's ids. */
function concrete(path: string, ids: { userId: string; tenantId: string }): string {
  return path
    .replace(/:provider\b/g, 'sms77')
    .replace(/:tenant\w*/g, ids.tenantId)
    .replace(/:\w+/g, ids.userId)
}

/** A body with every field any form of the app reads, so a route that skipped its guard would act. */
function fullBody(
  ids: { userId: string; tenantId: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    scope: 'balance',
    to: '+491701234567',
    text: 'hello from an attacker',
    role: 'admin',
    email: uniqueEmail('planted'),
    password: 'planted password 123',
    organization: 'Planted Org',
    id: 'planted-client-id',
    secret: 'planted-client-secret',
    member: `${ids.userId}:sms77`,
    tenantId: ids.tenantId,
    userId: ids.userId,
    ...extra,
  }
}

/** Every key under the app's prefix with its whole value, for "nothing changed" comparisons. */
async function snapshot(filter: (key: string) => boolean): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const key of (await keysUnder(t.prefix)).filter(filter).sort()) {
    const type = await t.redis.type(key)
    // A data key's encryption counter (n:<id>) is bookkeeping: a page that seals something
    // into the session (a two-step set-up) counts one encryption without changing any state.
    if (type === 'hash' && key.endsWith(':data-key'))
      out[key] = Object.fromEntries(
        Object.entries(await t.redis.hgetall(key)).filter(([f]) => !f.startsWith('n:')),
      )
    else if (type === 'hash') out[key] = await t.redis.hgetall(key)
    else if (type === 'string') out[key] = await t.redis.get(key)
    else if (type === 'zset') out[key] = await t.redis.zrangebyscore(key, '-inf', '+inf', 'WITHSCORES')
    else if (type === 'set') out[key] = (await t.redis.smembers(key)).sort()
    else if (type === 'list') out[key] = await t.redis.lrange(key, 0, -1)
    else if (type === 'stream') out[key] = await t.redis.xrange(key, '-', '+')
    else out[key] = type
  }
  return out
}

describe('the route table', () => {
  it('is read from the app, including every route the core issue names', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`)
    for (const expected of [
      'GET /dashboard',
      'POST /login',
      'POST /signup',
      'POST /logout',
      'POST /connect/:provider',
      'GET /oauth_redirect',
      'GET /connect/nexmo/callback',
      'POST /disconnect/:provider',
      'POST /dashboard/refresh',
      'POST /connections/:provider/sms',
    ]) {
      expect(names).toContain(expected)
    }
  })
})

describe('CSRF on every state-changing route', () => {
  it('answers 403 without a token, with a forged one, with another session’s, or with one in the query, and changes nothing', async () => {
    const victim = await signUp(t.app, 'CSRF Victim')
    await connectSms77(t, victim.agent, ['balance', 'sms'])
    await connectNexmo(victim.agent)
    const ids = await idOf(victim.email)
    const member = await addSignedIn(ids.tenantId, 'member')
    const other = await signUp(t.app, 'CSRF Other')
    const othersToken = await csrfOf(other.agent)
    const victimToken = await csrfOf(victim.agent) // fills the panel cache too: a refresh would clear it
    const stats = JSON.stringify(t.sandbox.control.stats)
    const before = await snapshot((k) => !k.startsWith('sess:'))
    expect(Object.keys(before).some((k) => k.includes(':cache:'))).toBe(true)

    const targets = routes.filter((r) => STATE_CHANGING.has(r.method))
    expect(targets.length).toBeGreaterThanOrEqual(7)
    const attempts: Array<{ route: string; how: string; status: number }> = []
    for (const r of targets) {
      const path = concrete(r.path, { ...ids, userId: member.userId })
      const body = fullBody({ ...ids, userId: member.userId })
      const send = (extra: Record<string, string>, query = '') =>
        victim.agent[r.method.toLowerCase() as 'post'](path + query)
          .type('form')
          .send({ ...body, ...extra })
      for (const [how, res] of [
        ['no token', await send({})],
        ['forged token', await send({ _csrf: 'forged-token-value' })],
        ['another session’s token', await send({ _csrf: othersToken })],
        ['token in the query only', await send({}, `?_csrf=${encodeURIComponent(victimToken)}`)],
        ['forged header', await send({}).set('x-csrf-token', 'forged')],
      ] as const) {
        attempts.push({ route: `${r.method} ${r.path}`, how, status: res.status })
      }
    }
    expect(attempts.filter((a) => a.status !== 403)).toEqual([])
    // The refusal is our own readable page (HTML) or error code (JSON), never a stack trace.
    const page = await victim.agent
      .post('/dashboard/refresh')
      .set('Accept', 'text/html')
      .type('form')
      .send({})
    expect(page.status).toBe(403)
    expect(page.text).toContain('This form has expired or was not sent by Switchboard')
    expect(page.text).not.toMatch(/ReferenceError|\/work\/|node_modules|\sat\s\S+ \(/)
    const api = await victim.agent
      .post('/dashboard/refresh')
      .set('Accept', 'application/json')
      .type('form')
      .send({})
    expect(api.body).toEqual({
      error: 'csrf_failed',
      message: expect.stringContaining('This form has expired'),
    })
    // Nothing was written or deleted anywhere, and no provider was called.
    expect(await snapshot((k) => !k.startsWith('sess:'))).toEqual(before)
    expect(JSON.stringify(t.sandbox.control.stats)).toBe(stats)
    // Not logged out either: the same session still reaches the dashboard.
    const dash = await victim.agent.get('/dashboard').expect(200)
    expect(dash.text).toContain(victim.email)
  })

  it('a GET to any state-changing path only shows a page or a 404, and changes nothing', async () => {
    const { agent, email } = await signUp(t.app)
    await connectSms77(t, agent, ['balance'])
    const ids = await idOf(email)
    await agent.get('/dashboard').expect(200)
    const before = await snapshot((k) => !k.startsWith('sess:'))
    for (const r of routes.filter((x) => STATE_CHANGING.has(x.method))) {
      const res = await agent.get(
        concrete(r.path, ids) + '?scope=balance&to=%2B491701234567&text=x&role=admin',
      )
      expect([200, 404], `GET ${r.path}`).toContain(res.status)
    }
    expect(await snapshot((k) => !k.startsWith('sess:'))).toEqual(before)
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('<span class="badge ok">connected</span>')
    expect(dash.text).toContain(email)
  })
})

describe('the tenant API on every route', () => {
  it('ignores a signed-in browser’s cookie: 401, no session made, nothing sent', async () => {
    const victim = await signUp(t.app, 'API Cookie Victim')
    await connectSms77(t, victim.agent, ['balance', 'sms'])
    const ids = await idOf(victim.email)
    const token = await csrfOf(victim.agent)
    const stats = JSON.stringify(t.sandbox.control.stats)
    const api = routesOf(t.app).filter((r) => isApi(r) && r.path.startsWith('/api/v1/connections'))
    expect(api.length).toBeGreaterThanOrEqual(3)
    for (const r of api) {
      const path = concrete(r.path.replace(':id', `sms77_${ids.userId}`), ids)
      const res = await victim.agent[r.method.toLowerCase() as 'get' | 'post'](path)
        .set('Idempotency-Key', 'cookie')
        .send({ to: '+491701234567', text: 'x', _csrf: token })
      expect(res.status, `${r.method} ${r.path}`).toBe(401)
      expect(res.headers['set-cookie'], `${r.method} ${r.path}`).toBeUndefined()
    }
    expect(JSON.stringify(t.sandbox.control.stats)).toBe(stats)
  })
})

describe('sign-in on every private route', () => {
  it('sends an anonymous visitor to /login (or 401) from every GET that is not public', async () => {
    const anon = supertest.agent(t.app)
    const privateGets = routes.filter((r) => r.method === 'GET' && !PUBLIC_GETS.has(r.path))
    expect(privateGets.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/dashboard', '/oauth_redirect', '/connect/nexmo/callback']),
    )
    for (const r of privateGets) {
      const res = await anon.get(
        concrete(r.path, { userId: 'a'.repeat(24), tenantId: 'acme' }) +
          '?state=x&code=y&oauth_token=z&oauth_verifier=w',
      )
      expect([303, 401], `GET ${r.path} answered ${res.status}`).toContain(res.status)
      if (res.status === 303) expect(res.headers.location).toBe('/login')
    }
  })

  it('answers 401 to an anonymous POST with a valid CSRF token on every private state-changing route', async () => {
    const anon = supertest.agent(t.app)
    const token = csrfFrom((await anon.get('/login').expect(200)).text)
    const stats = JSON.stringify(t.sandbox.control.stats)
    const before = await snapshot((k) => !k.startsWith('sess:'))
    for (const r of routes.filter((x) => STATE_CHANGING.has(x.method) && !PUBLIC_POSTS.has(x.path))) {
      const res = await anon[r.method.toLowerCase() as 'post'](
        concrete(r.path, { userId: 'a'.repeat(24), tenantId: 'acme' }),
      )
        .type('form')
        .send({ ...fullBody({ userId: 'a'.repeat(24), tenantId: 'acme' }), _csrf: token })
      expect(res.status, `${r.method} ${r.path}`).toBe(401)
    }
    expect(await snapshot((k) => !k.startsWith('sess:'))).toEqual(before)
    expect(JSON.stringify(t.sandbox.control.stats)).toBe(stats)
  })
})

describe('roles on every privileged route', () => {
  it('answers 403 to a member (and to support on /admin) on every /support and /admin route', async ({
    skip,
  }) => {
    const privileged = routes.filter((r) => PRIVILEGED.test(r.path))
    if (privileged.length === 0) skip('no /support or /admin routes are mounted yet')
    const { email } = await signUp(t.app, 'Role Org')
    const ids = await idOf(email)
    const member = await addSignedIn(ids.tenantId, 'member')
    const support = await addSignedIn(ids.tenantId, 'support')
    const before = await snapshot((k) => !k.startsWith('sess:') && !k.includes(':cache:'))
    for (const who of [member, support]) {
      const token = await csrfOf(who.agent)
      for (const r of privileged) {
        if (who === support && r.path.startsWith('/support')) continue
        const path = concrete(r.path, ids)
        const res = STATE_CHANGING.has(r.method)
          ? await who.agent[r.method.toLowerCase() as 'post'](path)
              .type('form')
              .send({ ...fullBody(ids), _csrf: token })
          : await who.agent.get(path)
        expect(res.status, `${r.method} ${r.path} as ${who.email}`).toBe(403)
      }
    }
    // Nothing changed: in particular nobody became admin.
    expect(
      await snapshot((k) => !k.startsWith('sess:') && !k.includes(':cache:') && !k.includes(':audit')),
    ).toEqual(Object.fromEntries(Object.entries(before).filter(([k]) => !k.includes(':audit'))))
    expect((await t.services.users.get(ids.tenantId, member.userId))?.role).toBe('member')
  })

  it('ignores a role, tenant or user id planted in the sign-up and sign-in forms', async () => {
    const victim = await signUp(t.app, 'Planted Victim')
    const victimIds = await idOf(victim.email)
    const attacker = supertest.agent(t.app)
    const page = await attacker.get('/signup').expect(200)
    const email = uniqueEmail('planter')
    await attacker
      .post('/signup')
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        organization: 'Planted Victim',
        email,
        password: 'long enough pw',
        role: 'support',
        tenantId: victimIds.tenantId,
        userId: victimIds.userId,
      })
      .expect(303)
    const mine = await idOf(email)
    // Same organisation name, yet a tenant of its own: names are not identities.
    expect(mine.tenantId).not.toBe(victimIds.tenantId)
    expect(mine.userId).not.toBe(victimIds.userId)
    expect((await t.services.users.get(mine.tenantId, mine.userId))?.role).toBe('admin')
    expect(await t.services.users.list(victimIds.tenantId)).toHaveLength(1)
  })
})

describe('tenant isolation on every route', () => {
  it('a user of tenant B, naming tenant A’s ids everywhere, changes nothing of A and reads nothing of A', async () => {
    const a = await signUp(t.app, 'Isolated A')
    await connectSms77(t, a.agent, ['balance', 'sms'])
    await connectNexmo(a.agent)
    await a.agent.get('/dashboard').expect(200)
    const aIds = await idOf(a.email)
    const b = await signUp(t.app, 'Isolated B')
    const bIds = await idOf(b.email)
    const aKeys = (k: string) => k.startsWith(`t:{${aIds.tenantId}}:`)
    const before = await snapshot(aKeys)
    expect(Object.keys(before).some((k) => k.includes(':conn:'))).toBe(true)
    const smsBefore = t.sandbox.control.stats.sms77.apiCalls.sms ?? 0
    const leaks = [a.email, aIds.userId, aIds.tenantId, 'john.doe@acme.inc', 'Nexmo account']

    const query = `?member=${aIds.userId}:sms77&id=${aIds.userId}&tenant=${aIds.tenantId}&tenantId=${aIds.tenantId}&userId=${aIds.userId}`
    for (const r of routes.filter((x) => x.method === 'GET' && !PUBLIC_GETS.has(x.path))) {
      const res = await b.agent.get(concrete(r.path, aIds) + query)
      expect(res.status, `GET ${r.path}`).toBeLessThan(500)
      for (const leak of leaks) expect(res.text.includes(leak), `GET ${r.path} shows ${leak}`).toBe(false)
    }
    for (const r of routes.filter((x) => STATE_CHANGING.has(x.method) && !PUBLIC_POSTS.has(x.path))) {
      const res = await b.agent[r.method.toLowerCase() as 'post'](concrete(r.path, aIds) + query)
        .type('form')
        .send({ ...fullBody(aIds), _csrf: await csrfOf(b.agent) })
      expect(res.status, `${r.method} ${r.path}`).toBeLessThan(500)
      if (res.headers.location?.startsWith('/')) {
        const next = await b.agent.get(res.headers.location)
        for (const leak of leaks)
          expect(next.text.includes(leak), `after ${r.method} ${r.path}: ${leak}`).toBe(false)
      }
    }
    expect(await snapshot(aKeys)).toEqual(before)
    expect(t.sandbox.control.stats.sms77.apiCalls.sms ?? 0).toBe(smsBefore)
    expect((await t.services.users.get(aIds.tenantId, aIds.userId))?.role).toBe('admin')
    expect(await t.services.users.get(aIds.tenantId, bIds.userId)).toBeNull()
    // A still has both connections.
    const dash = await a.agent.get('/dashboard').expect(200)
    expect(dash.text.match(/<span class="badge ok">connected<\/span>/g)).toHaveLength(2)
  })
})
