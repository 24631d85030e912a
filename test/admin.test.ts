import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { beginSms77, connectSms77 } from './helpers/flows.js'
import {
  startSandbox,
  TEST_NEXMO_CONSUMER,
  TEST_SMS77_CLIENT,
  type RunningSandbox,
} from './helpers/sandbox-server.js'
import { addUserAndSignIn } from './helpers/users.js'

const OWN_CLIENT = { id: 'tenant-own-client', secret: 'tenant-own-secret-xyz' }
let sandbox: RunningSandbox
let t: TestApp

beforeAll(async () => {
  sandbox = await startSandbox({
    sms77: {
      clients: [TEST_SMS77_CLIENT, OWN_CLIENT],
      accessTokenTtlSec: 3600,
      codeTtlSec: 30,
      refreshGraceSec: 0,
    },
    nexmo: { consumers: [TEST_NEXMO_CONSUMER], timestampWindowSec: 300 },
  })
  t = await startTestApp({ name: 'admin', sandbox })
})
afterAll(async () => {
  await t.close()
  await sandbox.close()
})

async function userId(email: string): Promise<{ id: string; tenantId: string }> {
  const u = (await t.services.users.findForLogin(email))!.user
  return { id: u.id, tenantId: u.tenantId }
}

describe('user administration', () => {
  it('adds users with a role, who can then sign in with it', async () => {
    const { agent: admin } = await signUp(t.app)
    const { agent, email } = await addUserAndSignIn(t.app, admin, 'support')
    await agent.get('/support').expect(200)
    const list = await admin.get('/admin/users').expect(200)
    expect(list.text).toContain(email)
    const bad = await admin
      .post('/admin/users')
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/users'), email: 'nope', password: 'short', role: 'root' })
      .expect(400)
    expect(bad.text).toContain('Enter a valid email address.')
  })

  it('changes roles, effective on the user’s very next request', async () => {
    const { agent: admin } = await signUp(t.app)
    const { agent, email } = await addUserAndSignIn(t.app, admin, 'member')
    await agent.get('/support').expect(403)
    const { id } = await userId(email)
    await admin
      .post(`/admin/users/${id}/role`)
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/users'), role: 'support' })
      .expect(303)
    await agent.get('/support').expect(200)
    await admin
      .post(`/admin/users/${id}/role`)
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/users'), role: 'superuser' })
      .expect(400)
  })

  it('removes a user with their connections and sessions', async () => {
    const { agent: admin } = await signUp(t.app)
    const { agent, email } = await addUserAndSignIn(t.app, admin, 'member')
    await connectSms77(t, agent, ['balance'])
    const { id, tenantId } = await userId(email)
    expect(await t.redis.scard(`t:{${tenantId}}:sessions:${id}`)).toBe(1)
    await admin
      .post(`/admin/users/${id}/remove`)
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/users') })
      .expect(303)
    await agent.get('/dashboard').expect(303).expect('location', '/login')
    expect(await t.services.store.get({ tenantId, userId: id, provider: 'sms77' })).toBeNull()
    expect(await t.redis.keys(`${t.prefix}sess:*`)).not.toContain(`${t.prefix}sess:${id}`)
    expect(await t.redis.exists(`t:{${tenantId}}:sessions:${id}`)).toBe(0)
    expect(
      (await t.services.supportIndex.page(tenantId, { sort: 'recent', offset: 0, limit: 10 })).total,
    ).toBe(0)
    expect(await t.services.users.findForLogin(email)).toBeNull()
  })

  it('refuses to remove or re-role yourself, and never reaches into another tenant', async () => {
    const a = await signUp(t.app)
    const b = await signUp(t.app)
    const self = await userId(a.email)
    const victim = await userId(b.email)
    const csrf = await csrfOf(a.agent, '/admin/users')
    await a.agent.post(`/admin/users/${self.id}/remove`).type('form').send({ _csrf: csrf }).expect(403)
    await a.agent
      .post(`/admin/users/${self.id}/role`)
      .type('form')
      .send({ _csrf: csrf, role: 'member' })
      .expect(403)
    await a.agent.post(`/admin/users/${victim.id}/remove`).type('form').send({ _csrf: csrf }).expect(404)
    await a.agent
      .post(`/admin/users/${victim.id}/role`)
      .type('form')
      .send({ _csrf: csrf, role: 'member' })
      .expect(404)
    expect((await t.services.users.get(victim.tenantId, victim.id))?.role).toBe('admin')
  })
})

describe('per-tenant OAuth credentials', () => {
  it('uses the tenant’s own client once set, never shows its secret, and falls back when cleared', async () => {
    const { agent: admin, email } = await signUp(t.app)
    const csrf = await csrfOf(admin, '/admin/credentials')
    const page = await admin.get('/admin/credentials').expect(200)
    expect(page.text).toContain('http://switchboard.test/oauth_redirect')
    expect(page.text).toContain('http://switchboard.test/connect/nexmo/callback')
    await admin
      .post('/admin/credentials/sms77')
      .type('form')
      .send({ _csrf: csrf, id: OWN_CLIENT.id, secret: OWN_CLIENT.secret })
      .expect(303)
    const after = await admin.get('/admin/credentials').expect(200)
    expect(after.text).toContain(OWN_CLIENT.id)
    expect(after.text).not.toContain(OWN_CLIENT.secret)
    const { tenantId } = await userId(email)
    expect(JSON.stringify(await t.redis.hgetall(`t:{${tenantId}}:provider-credentials`))).not.toContain(
      OWN_CLIENT.secret,
    )
    expect((await beginSms77(admin, ['balance'])).searchParams.get('client_id')).toBe(OWN_CLIENT.id)
    // The exchange authenticates with the tenant's own secret (the sandbox checks it).
    const basicBefore = sandbox.control.stats.sms77.tokenClientAuth.basic ?? 0
    await connectSms77(t, admin, ['balance'])
    expect(sandbox.control.stats.sms77.tokenClientAuth.basic).toBe(basicBefore + 1)
    expect((await admin.get('/dashboard')).text).toContain('john.doe@acme.inc')
    await admin
      .post('/admin/credentials/sms77/clear')
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/credentials') })
      .expect(303)
    expect((await beginSms77(admin, ['balance'])).searchParams.get('client_id')).toBe(TEST_SMS77_CLIENT.id)
    const { entries } = await t.services.audit.page(tenantId, 5)
    expect(entries.map((e) => e.action)).toEqual(['admin.credentials_changed', 'admin.credentials_changed'])
    expect(JSON.stringify(entries)).not.toContain(OWN_CLIENT.secret)
  })

  it('keeps other tenants on the operator defaults', async () => {
    const { agent } = await signUp(t.app)
    expect((await beginSms77(agent, ['balance'])).searchParams.get('client_id')).toBe(TEST_SMS77_CLIENT.id)
  })
})

describe('audit of webhook and settings changes', () => {
  it('records each under its own action name, which the audit page shows', async () => {
    const { agent: admin, email } = await signUp(t.app)
    const { tenantId } = await userId(email)
    const csrf = await csrfOf(admin, '/admin/credentials')
    const post = (path: string, fields: Record<string, string> = {}) =>
      admin
        .post(path)
        .type('form')
        .send({ _csrf: csrf, ...fields })
        .expect(303)
    await post('/admin/webhook', { url: 'https://hooks.example.test/in', secret: 'whsec-0123456789abcdef' })
    await post('/admin/webhook/test')
    await post('/admin/webhook/clear')
    await post('/admin/settings', { lowBalanceThreshold: '250' })
    const { entries } = await t.services.audit.page(tenantId, 10)
    expect(
      entries.map(({ actorEmail, action, detail, accounts }) => ({ actorEmail, action, detail, accounts })),
    ).toEqual([
      {
        actorEmail: email,
        action: 'admin.settings_changed',
        detail: 'low-balance threshold set to 250',
        accounts: [],
      },
      { actorEmail: email, action: 'admin.webhook_removed', detail: 'removed the webhook', accounts: [] },
      {
        actorEmail: email,
        action: 'admin.webhook_test_sent',
        detail: 'sent a test event to the webhook',
        accounts: [],
      },
      {
        actorEmail: email,
        action: 'admin.webhook_changed',
        detail: 'set webhook URL https://hooks.example.test/in',
        accounts: [],
      },
    ])
    const auditPage = (await admin.get('/admin/audit').expect(200)).text
    // Issue 29: sentences for people on the page, never the stored codes.
    for (const said of [
      'Changed the organisation’s settings',
      'Removed the webhook',
      'Sent a test event to the webhook',
      'Saved the webhook',
    ])
      expect(auditPage).toContain(`>${said}</td>`)
    expect(auditPage).not.toMatch(/admin\.[a-z_]+/)
    expect(auditPage).not.toContain('provider credentials')
  })
})
