import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import {
  csrfFrom,
  csrfOf,
  signUp,
  startTestApp,
  uniqueEmail,
  type Agent,
  type TestApp,
} from './helpers/app.js'
import { linkIn, startSmtpSink } from './helpers/smtp-sink.js'

let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>

beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({ name: 'invitations', env: { SMTP_URL: sink.url } })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

async function post(agent: Agent, path: string, body: Record<string, string> = {}) {
  return agent
    .post(path)
    .type('form')
    .send({ _csrf: await csrfOf(agent, '/admin/users'), ...body })
}

async function accept(link: string, password = 'my own password 1') {
  const agent = supertest.agent(t.app)
  const path = new URL(link).pathname
  const page = await agent.get(path)
  if (page.status !== 200) return { agent, res: page, page }
  const res = await agent
    .post(path)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), password })
  return { agent, res, page }
}

const pendingIdOf = (html: string, email: string) =>
  new RegExp(`invites/([a-f0-9]{16})/resend"[^]*?${email.replace(/[.]/g, '\\.')}`).exec(html)?.[1] ??
  new RegExp(`${email.replace(/[.]/g, '\\.')}[^]*?invites/([a-f0-9]{16})/resend`).exec(html)?.[1]

describe('invitations (issue 15)', () => {
  it('mails a 7-day link that works once and signs the person in with the role given', async () => {
    const { agent: admin, email: adminEmail } = await signUp(t.app, 'Invite Corp')
    const page = await admin.get('/admin/users').expect(200)
    for (const label of ['Email', 'Role', 'Send invitation']) expect(page.text).toContain(label)
    const email = uniqueEmail('invitee')
    await post(admin, '/admin/users/invite', { email, role: 'support' }).then((r) =>
      expect(r.status).toBe(303),
    )
    const listed = await admin.get('/admin/users')
    expect(listed.text).toContain(`Invitation sent to ${email} (support).`)
    expect(listed.text).toContain('Pending invitations')
    const mail = await sink.mailTo(email)
    expect(mail.subject).toBe('You are invited to Invite Corp on Switchboard')
    expect(mail.text).toContain(`${adminEmail} invited you to join Invite Corp on Switchboard as support.`)
    expect(mail.html).toContain('<a href="http://switchboard.test/invite/')
    const link = linkIn(mail, '/invite/')
    const joined = await accept(link)
    expect(joined.page.text).toContain('Join Invite Corp')
    for (const label of ['New password', 'Set password']) expect(joined.page.text).toContain(label)
    expect(joined.res.status).toBe(303)
    expect(joined.res.headers.location).toBe('/support')
    await joined.agent.get('/support').expect(200)
    const user = (await t.services.users.findForLogin(email))!.user
    expect(user).toMatchObject({ email, role: 'support', tenantId: 'invite-corp' })
    // Once only; and the invitation is no longer pending.
    expect((await accept(link)).res.status).toBe(404)
    expect((await admin.get('/admin/users')).text).not.toMatch(/invites\/[a-f0-9]{16}\/resend/)
    const ttl = await t.redis.ttl(
      (await t.redis.keys(`${t.prefix}invite:*`)).map((k) => k.slice(t.prefix.length))[0] ?? 'none',
    )
    expect(ttl).toBe(-2)
  })

  it('resends with a new link (the old one dies) and cancels', async () => {
    const { agent: admin } = await signUp(t.app, 'Resend Ltd')
    const email = uniqueEmail('resent')
    await post(admin, '/admin/users/invite', { email, role: 'member' })
    const first = linkIn(await sink.mailTo(email, 1), '/invite/')
    const id = pendingIdOf((await admin.get('/admin/users')).text, email)!
    expect(id).toMatch(/^[a-f0-9]{16}$/)
    await post(admin, `/admin/users/invites/${id}/resend`).then((r) => expect(r.status).toBe(303))
    const second = linkIn(await sink.mailTo(email, 2), '/invite/')
    expect(second).not.toBe(first)
    expect((await supertest(t.app).get(new URL(first).pathname)).status).toBe(404)
    await supertest(t.app).get(new URL(second).pathname).expect(200)
    await post(admin, `/admin/users/invites/${id}/cancel`).then((r) => expect(r.status).toBe(303))
    expect((await supertest(t.app).get(new URL(second).pathname)).status).toBe(404)
    expect(pendingIdOf((await admin.get('/admin/users')).text, email)).toBeUndefined()
    // Another tenant's admin cannot touch it.
    await post(admin, '/admin/users/invite', { email, role: 'member' })
    const again = pendingIdOf((await admin.get('/admin/users')).text, email)!
    const { agent: other } = await signUp(t.app, 'Other Org')
    expect((await post(other, `/admin/users/invites/${again}/cancel`)).status).toBe(404)
  })

  it('tells the admin nothing about an address that has an account: its owner gets a note, no link (issue 28)', async () => {
    const { agent: admin } = await signUp(t.app, 'Known Address')
    const { email: taken } = await signUp(t.app, 'Elsewhere')
    await post(admin, '/admin/users/invite', { email: taken, role: 'member' })
    expect((await admin.get('/admin/users')).text).toContain(`Invitation sent to ${taken} (member).`)
    const note = await sink.mailTo(taken)
    expect(note.subject).toBe('Your Switchboard account')
    expect(note.text).not.toContain('/invite/')
  })

  it('adding a user with a password stays possible', async () => {
    const { agent: admin } = await signUp(t.app, 'Password Adders')
    const email = uniqueEmail('added')
    await post(admin, '/admin/users', { email, password: 'a long enough password', role: 'member' }).then(
      (r) => expect(r.status).toBe(303),
    )
    expect((await t.services.users.findForLogin(email))?.user.role).toBe('member')
  })
})

describe('production without SMTP_URL (issue 15)', () => {
  it('shows the admin the invitation link to pass on, and /forgot says to ask an admin', async () => {
    const p = await startTestApp({
      name: 'invite-nomail',
      env: { NODE_ENV: 'production' },
      sandbox: t.sandbox,
    })
    try {
      expect(p.services.people.mailer.canSend).toBe(false)
      const { agent: admin } = await signUp(p.app, 'No Mail Inc')
      const email = uniqueEmail('handed')
      await admin
        .post('/admin/users/invite')
        .type('form')
        .send({ _csrf: await csrfOf(admin, '/admin/users'), email, role: 'admin' })
        .expect(303)
      const page = await admin.get('/admin/users')
      const link =
        /This Switchboard sends no mail: pass this link to \S+ yourself \(7 days, once\): (\S+)</.exec(
          page.text,
        )?.[1]
      expect(link).toMatch(/^http:\/\/switchboard\.test\/invite\/[A-Za-z0-9_-]{43}$/)
      const agent = supertest.agent(p.app)
      const form = await agent.get(new URL(link!).pathname).expect(200)
      await agent
        .post(new URL(link!).pathname)
        .type('form')
        .send({ _csrf: csrfFrom(form.text), password: 'handed over pw' })
        .expect(303)
      await agent.get('/admin/users').expect(200)
      const asker = supertest.agent(p.app)
      const forgot = await asker.get('/forgot').expect(200)
      expect(forgot.text).toContain('Ask an administrator of your organisation')
      const res = await asker
        .post('/forgot')
        .type('form')
        .send({ _csrf: csrfFrom(forgot.text), email })
      expect(res.status).toBe(200)
      expect(res.text).toContain('Ask an administrator of your organisation')
    } finally {
      await p.close()
    }
  })
})
