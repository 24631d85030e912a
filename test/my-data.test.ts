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
import { connectSms77 } from './helpers/flows.js'
import { api, createApiKey } from './helpers/api.js'
import { waitFor } from './helpers/redis-server.js'
import { keptReadKey } from '../src/redis/keys.js'
import { BODY } from '../src/connections/kept-read-scripts.js'
import { startSmtpSink } from './helpers/smtp-sink.js'

/** Issue 27: a person's own data on /account: download it, change the email, delete the account. */
let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>

beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({
    name: 'my-data',
    env: { SMTP_URL: sink.url, MAIL_FROM: 'Switchboard <mail@switchboard.test>' },
  })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

async function signsIn(email: string, password: string): Promise<boolean> {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login')
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password })
  return (await agent.get('/dashboard')).status === 200
}

/** The path of the confirmation link mailed to the new address. */
async function confirmPathMailedTo(email: string): Promise<string> {
  const link = /https?:\/\/\S+\/account\/email\/confirm\/\S+/.exec((await sink.mailTo(email)).text)![0]
  return new URL(link).pathname
}

/** Opens the confirmation link and presses its button; the page, to press it again. */
async function confirmAt(agent: Agent, path: string) {
  const page = await agent.get(path).expect(200)
  await agent
    .post(path)
    .type('form')
    .send({ _csrf: csrfFrom(page.text) })
    .expect(303)
  return page
}

describe("a person's own data", () => {
  it('offers the three actions on /account, in English and German', async () => {
    const { agent } = await signUp(t.app, 'Labels Org')
    const en = (await agent.get('/account').expect(200)).text
    for (const label of [
      'Download my data',
      'Delete my account',
      'Change email',
      'New email',
      'Current password',
    ])
      expect(en).toContain(label)
    const de = (await agent.get('/account').set('Accept-Language', 'de').expect(200)).text
    expect(de).toContain('Meine Daten herunterladen')
  })

  it('downloads profile, connections without tokens and audit entries as JSON', async () => {
    const s = await signUp(t.app, 'Export Org')
    await connectSms77(t, s.agent, ['balance'])
    const user = (await t.services.users.findForLogin(s.email))!.user
    const record = (await t.services.store.get({
      tenantId: user.tenantId,
      userId: user.id,
      provider: 'sms77',
    }))!
    const res = await s.agent.get('/account/my-data.json').expect(200).expect('content-type', /json/)
    expect(res.headers['content-disposition']).toMatch(/attachment/)
    const data = JSON.parse(res.text) as Record<string, unknown> & {
      profile: { email: string; organisation: { name: string } }
      connections: { provider: string; accountLabel: string }[]
    }
    expect(data.profile.email).toBe(s.email)
    expect(data.profile.organisation.name).toBe('Export Org')
    expect(data.connections.map((c) => c.provider)).toEqual(['sms77'])
    expect(Array.isArray(data.messagesSent)).toBe(true)
    expect(Array.isArray(data.auditEntries)).toBe(true)
    for (const secret of Object.values(record.grant.secrets))
      if (secret) expect(res.text).not.toContain(secret)
  })

  it('changes the email only when the link sent to the new address is opened, and tells the old one', async () => {
    const s = await signUp(t.app, 'Mail Org')
    const other = await signUp(t.app, 'Other Org')
    const next = uniqueEmail('moved')
    const csrf = await csrfOf(s.agent, '/account')
    // Wrong password: nothing is sent.
    await s.agent
      .post('/account/email')
      .type('form')
      .send({ _csrf: csrf, newEmail: next, currentPassword: 'nope nope nope' })
      .expect(303)
    expect((await s.agent.get('/account')).text).toContain('That is not your current password.')
    // Another account's address is refused (emails stay unique).
    await s.agent
      .post('/account/email')
      .type('form')
      .send({ _csrf: csrf, newEmail: other.email, currentPassword: s.password })
      .expect(303)
    expect((await s.agent.get('/account')).text).toContain('That email address cannot be used.')
    await s.agent
      .post('/account/email')
      .type('form')
      .send({ _csrf: csrf, newEmail: next, currentPassword: s.password })
      .expect(303)
    const path = await confirmPathMailedTo(next)
    const notice = await sink.mailTo(s.email)
    expect(notice.text).toContain(next)
    // Not yet changed.
    expect(await signsIn(s.email, s.password)).toBe(true)
    const page = await confirmAt(s.agent, path)
    expect(await signsIn(next, s.password)).toBe(true)
    expect(await signsIn(s.email, s.password)).toBe(false)
    // The link works once.
    await s.agent
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(404)
  })

  it('finds a connection under the new email after the change, in the console and the API', async () => {
    const s = await signUp(t.app, 'Moved Org')
    await connectSms77(t, s.agent)
    const key = await createApiKey(s.agent, 'poller', ['read'])
    const { user } = (await t.services.users.findForLogin(s.email))!
    const id = `sms77_${user.id}`
    // Kept answers of one connection and of the listing, from before the change.
    const read = async () => (await api(t.app, key).get(`/api/v1/connections/${id}`).expect(200)).body
    expect((await read()).user.email).toBe(s.email)
    await waitFor(
      'the kept answer',
      async () =>
        (await t.redis.hget(keptReadKey({ ...user, userId: user.id, provider: 'sms77' }), BODY)) !== null,
    )
    const next = uniqueEmail('moved-conn')
    await s.agent
      .post('/account/email')
      .type('form')
      .send({ _csrf: await csrfOf(s.agent, '/account'), newEmail: next, currentPassword: s.password })
      .expect(303)
    await confirmAt(s.agent, await confirmPathMailedTo(next))
    expect((await read()).user.email).toBe(next)
    const list = await api(t.app, key).get('/api/v1/connections').expect(200)
    expect(list.body.data.map((c: { user: { email: string } }) => c.user.email)).toEqual([next])
    const support = await s.agent.get(`/support?q=${encodeURIComponent(next)}`).expect(200)
    expect(support.text).toContain(`href="/support/connections/${id}">${next}</a>`)
    const old = await s.agent.get(`/support?q=${encodeURIComponent(s.email)}`).expect(200)
    expect(old.text).not.toContain(`/support/connections/${id}`)
  })

  it("refuses the organisation's last admin, and deletes a member with their connections", async () => {
    const admin = await signUp(t.app, 'Delete Org')
    const csrf = await csrfOf(admin.agent, '/account')
    await admin.agent
      .post('/account/delete')
      .type('form')
      .send({ _csrf: csrf, currentPassword: admin.password })
      .expect(303)
    expect((await admin.agent.get('/account')).text).toContain('only admin')
    const tenantId = (await t.services.users.findForLogin(admin.email))!.user.tenantId
    const email = uniqueEmail('member')
    const password = 'member password 1'
    await t.services.accounts.addUser({ tenantId, email, password, role: 'member' })
    const member = supertest.agent(t.app)
    const login = await member.get('/login')
    await member
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), email, password })
      .expect(303)
    await connectSms77(t, member, ['balance'])
    const before = t.sandbox.control.sms77Revocations().length
    const res = await member
      .post('/account/delete')
      .type('form')
      .send({ _csrf: await csrfOf(member, '/account'), currentPassword: password })
      .expect(200)
    expect(res.text).toContain('Account deleted')
    await expect.poll(() => t.sandbox.control.sms77Revocations().length).toBe(before + 1)
    expect(await t.services.users.findForLogin(email)).toBeNull()
    expect(await t.services.store.count(tenantId)).toBe(0)
    await member.get('/dashboard').expect(303)
    expect(await signsIn(email, password)).toBe(false)
  })
})
