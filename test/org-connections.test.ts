import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { steppedClock } from './helpers/clock.js'
import { api, createApiKey, smsSent } from './helpers/api.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { connectSms77 } from './helpers/flows.js'
import { openRedis } from './helpers/redis.js'
import { addUserAndSignIn } from './helpers/users.js'
import { dailyPartsKey } from '../src/redis/keys.js'
import { dayOf } from '../src/connections/message-sender.js'

// Two app instances on one Redis (one prefix, the same secrets), one sandbox as provider.
let t: TestApp
let t2: TestApp
// The connections' back-off clock of the first instance, moved on by hand after a provider failure.
const clock = steppedClock()

beforeAll(async () => {
  const env = {
    SESSION_SECRET: randomBytes(32).toString('hex'),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  }
  t = await startTestApp({ name: 'org-connections', env, deps: { health: { now: clock.now } } })
  t2 = await startTestApp({
    name: 'org-connections-2',
    env,
    sandbox: t.sandbox,
    openRedis: () => openRedis(t.prefix),
  })
})
afterAll(async () => {
  await t2?.close()
  await t?.close()
})

const SHARED = 'sms77_org'

/** An admin connects sms77 for the organisation through /admin/connections and the consent page. */
async function connectShared(admin: Agent, scopes = ['balance', 'sms']): Promise<void> {
  const csrf = await csrfOf(admin, '/admin/connections')
  const res = await admin
    .post('/admin/connections/sms77/connect')
    .type('form')
    .send(`_csrf=${encodeURIComponent(csrf)}&${scopes.map((s) => `scope=${s}`).join('&')}`)
    .expect(303)
  const authorize = new URL(res.headers.location!)
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256')
  expect(authorize.searchParams.get('redirect_uri')).toBe('http://switchboard.test/oauth_redirect')
  const consent = await pressConsent(authorize.toString(), 'Allow')
  await admin.get(pathOf(consent.location)).expect(303).expect('location', '/admin/connections')
}

/** A form POST with the CSRF token of `page`; resolves to the response. */
async function post(agent: Agent, path: string, form: Record<string, string>, page = '/admin/connections') {
  const csrf = await csrfOf(agent, page)
  return agent
    .post(path)
    .type('form')
    .send({ _csrf: csrf, ...form })
}

async function postOk(agent: Agent, path: string, form: Record<string, string>, page?: string) {
  const res = await post(agent, path, form, page)
  expect(res.status, res.text.slice(0, 300)).toBe(303)
  return res
}

async function grant(admin: Agent, email: string, maySend: boolean, dailyLimit = '') {
  const form: Record<string, string> = { email, dailyLimit }
  if (maySend) form.maySend = 'on'
  await post(admin, '/admin/connections/sms77/access', form)
}

const setOrgLimit = (admin: Agent, limit: string) =>
  postOk(admin, '/admin/connections/sms77/limit', { orgLimit: limit })

async function sendOnDashboard(agent: Agent, text: string) {
  await postOk(agent, '/shared/sms77/sms', { to: '+49 170 1234567', text }, '/dashboard')
  return (await agent.get('/dashboard').expect(200)).text
}

interface Org {
  name: string
  admin: Agent
  key: string
}

async function orgWithShared(name: string): Promise<Org> {
  const { agent: admin } = await signUp(t.app, name)
  await connectShared(admin)
  const key = await createApiKey(admin, `${name} CRM`, ['read', 'send'])
  return { name, admin, key }
}

const apiSend = (app: TestApp, key: string, idem: string, text = 'Hello') =>
  api(app.app, key)
    .post(`/api/v1/connections/${SHARED}/messages`)
    .set('Idempotency-Key', idem)
    .send({ to: '+491701234567', text })

describe('organisation connections', () => {
  it('connects for the organisation: listed on /admin/connections, owned by the organisation in the API', async () => {
    const org = await orgWithShared('Owner Co')
    const page = await org.admin.get('/admin/connections').expect(200)
    expect(page.text).toContain('Connect sms77 for the organisation')
    expect(page.text).toContain('Connect Nexmo for the organisation')
    expect(page.text).toContain('Daily limit for the organisation')
    expect(page.text).toMatch(/<button type="submit" class="danger">Disconnect<\/button>/)
    await connectSms77(t, org.admin)
    const list = await api(t.app, org.key).get('/api/v1/connections').expect(200)
    const owners = Object.fromEntries(
      (list.body.data as { id: string; owner: unknown; user: { email: string | null } }[]).map((c) => [
        c.id,
        [c.owner, c.user.email],
      ]),
    )
    expect(owners[SHARED]).toEqual([{ type: 'organisation' }, null])
    const personal = Object.entries(owners).find(([id]) => id !== SHARED)!
    expect(personal[1]).toEqual([
      { type: 'user', email: expect.stringContaining('@') },
      expect.stringContaining('@'),
    ])
    // A member may not open the page nor start a connect for the organisation.
    const member = await addUserAndSignIn(t.app, org.admin, 'member')
    await member.agent.get('/admin/connections').expect(403)
  })

  it('20 parallel sends on two instances against a limit of 3 reach the provider exactly 3 times', async () => {
    const org = await orgWithShared('Limit Co')
    await setOrgLimit(org.admin, '3')
    const before = smsSent(t)
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => apiSend(i % 2 ? t2 : t, org.key, `parallel-${i}`)),
    )
    expect(smsSent(t) - before).toBe(3)
    const statuses = answers.map((a) => a.status).sort()
    expect(statuses.filter((s) => s === 201)).toHaveLength(3)
    expect(statuses.filter((s) => s === 429)).toHaveLength(17)
    const refused = answers.find((a) => a.status === 429)!
    expect(refused.headers['content-type']).toContain('application/problem+json')
    expect(refused.body.type).toBe('http://switchboard.test/api/docs#problem-daily_limit_reached')
    const accepted = answers.find((a) => a.status === 201)!
    expect(accepted.body.sentBy).toBe('Limit Co CRM')
  })

  it('gives the parts back when the provider fails the send', async () => {
    const org = await orgWithShared('Failing Co')
    await setOrgLimit(org.admin, '2')
    t.sandbox.control.setFaults({ apiFails: true })
    try {
      const failed = await apiSend(t, org.key, 'fails', 'x'.repeat(200))
      expect(failed.status).toBe(502)
    } finally {
      t.sandbox.control.setFaults({ apiFails: false })
    }
    // The failure put the connection into its first back-off step (issue 24): wait it out.
    clock.advance(31_000)
    const tenantId = (await t.services.tenants.all()).find((x) => x.name === 'Failing Co')!.id
    const used = await t.redis.hget(dailyPartsKey(tenantId, 'org:sms77', dayOf(Date.now())), 'total')
    expect(Number(used ?? 0)).toBe(0)
    // The two parts given back are there to use.
    const before = smsSent(t)
    await apiSend(t, org.key, 'after-failure', 'x'.repeat(200)).expect(201)
    expect(smsSent(t) - before).toBe(1)
    await apiSend(t, org.key, 'over', 'x').expect(429)
  })

  it('a colleague with access sends within their daily limit; the form keeps the text when refused', async () => {
    const org = await orgWithShared('Colleague Co')
    const colleague = await addUserAndSignIn(t.app, org.admin, 'member')
    const stranger = await addUserAndSignIn(t.app, org.admin, 'member')
    await grant(org.admin, colleague.email, true, '2')
    const dash = await colleague.agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('Shared by Colleague Co')
    expect(dash.text).toContain('action="/shared/sms77/sms"')
    expect((await stranger.agent.get('/dashboard').expect(200)).text).not.toContain('Shared by')
    // A person without access cannot send by posting the form either.
    const strangerSend = await post(
      stranger.agent,
      '/shared/sms77/sms',
      { to: '+491701234567', text: 'x' },
      '/dashboard',
    )
    expect(strangerSend.status).toBe(404)

    const before = smsSent(t)
    await sendOnDashboard(colleague.agent, 'first')
    await sendOnDashboard(colleague.agent, 'second')
    const refused = await sendOnDashboard(colleague.agent, 'third message kept')
    expect(refused).toContain('Daily limit reached')
    expect(refused).toContain('third message kept</textarea>')
    expect(smsSent(t) - before).toBe(2)

    // The admin sees who sent, the recipient masked; the API lists the same with its paging.
    const admin = await org.admin.get('/admin/connections').expect(200)
    expect(admin.text).toContain('Sent messages')
    expect(admin.text).toContain(colleague.email)
    expect(admin.text).not.toContain('+491701234567')
    await apiSend(t, org.key, 'by-key').expect(201)
    const first = await api(t.app, org.key).get(`/api/v1/connections/${SHARED}/messages?limit=2`).expect(200)
    expect(first.body.data.map((m: { sentBy: string }) => m.sentBy)).toEqual([
      'Colleague Co CRM',
      colleague.email,
    ])
    expect(first.body.data[0].to).toMatch(/^\+49•+4567$/)
    expect(first.body.next_cursor).toEqual(expect.any(String))
    const second = await api(t.app, org.key)
      .get(
        `/api/v1/connections/${SHARED}/messages?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`,
      )
      .expect(200)
    expect(second.body.data).toHaveLength(1)
    expect(second.body.data[0].sentBy).toBe(colleague.email)
    expect(second.body.next_cursor).toBeNull()
    // Without May send the card has no form, and a post is refused.
    await grant(org.admin, colleague.email, false)
    expect((await colleague.agent.get('/dashboard').expect(200)).text).not.toContain(
      'action="/shared/sms77/sms"',
    )
  })

  it('access removed while a dashboard page is kept: the shared card is gone on the next request', async () => {
    const org = await orgWithShared('Kept Co')
    const colleague = await addUserAndSignIn(t.app, org.admin, 'member')
    // Warm: the second load is the kept page.
    await colleague.agent.get('/dashboard').expect(200)
    await colleague.agent.get('/dashboard').expect(200)
    await grant(org.admin, colleague.email, true)
    expect((await colleague.agent.get('/dashboard').expect(200)).text).toContain('Shared by Kept Co')
    expect((await colleague.agent.get('/dashboard').expect(200)).text).toContain('Shared by Kept Co')
    const page = (await org.admin.get('/admin/connections').expect(200)).text
    const remove = /action="(\/admin\/connections\/sms77\/access\/[a-f0-9]+\/remove)"/.exec(page)![1]!
    await postOk(org.admin, remove, {})
    expect((await colleague.agent.get('/dashboard').expect(200)).text).not.toContain('Shared by')
    expect((await colleague.agent.get('/dashboard').expect(200)).text).not.toContain('Shared by')
    const send = await post(
      colleague.agent,
      '/shared/sms77/sms',
      { to: '+491701234567', text: 'x' },
      '/dashboard',
    )
    expect(send.status).toBe(404)
  })

  it('removing the admin who connected it leaves the shared connection working', async () => {
    const { agent: founder, email: founderEmail } = await signUp(t.app, 'Leaver Co')
    const successor = await addUserAndSignIn(t.app, founder, 'admin')
    await connectShared(founder)
    const key = await createApiKey(successor.agent, 'Leaver CRM', ['read', 'send'])
    const users = (await successor.agent.get('/admin/users').expect(200)).text
    const founderId = new RegExp(
      `${founderEmail.replace(/[.]/g, '\\.')}[\\s\\S]*?/admin/users/([a-f0-9]+)/remove`,
    ).exec(users)![1]!
    await post(successor.agent, `/admin/users/${founderId}/remove`, {}, '/admin/users')
    const one = await api(t.app, key).get(`/api/v1/connections/${SHARED}`).expect(200)
    expect(one.body.owner).toEqual({ type: 'organisation' })
    expect(one.body.status).toBe('connected')
    await apiSend(t, key, 'after-leaving').expect(201)
    expect((await successor.agent.get('/dashboard').expect(200)).text).toContain('Shared by Leaver Co')
    // The support console names the organisation as owner and finds it by the organisation's name.
    const support = await successor.agent.get('/support?q=Leaver').expect(200)
    expect(support.text).toContain('Leaver Co (organisation)')
  })

  it('Disconnect revokes and removes the shared connection and its access', async () => {
    const org = await orgWithShared('Gone Co')
    const colleague = await addUserAndSignIn(t.app, org.admin, 'member')
    await grant(org.admin, colleague.email, true)
    const revocations = t.sandbox.control.sms77Revocations().length
    await postOk(org.admin, '/admin/connections/sms77/disconnect', {})
    expect(t.sandbox.control.sms77Revocations().length).toBeGreaterThan(revocations)
    await api(t.app, org.key).get(`/api/v1/connections/${SHARED}`).expect(404)
    expect((await colleague.agent.get('/dashboard').expect(200)).text).not.toContain('Shared by')
  })
})
