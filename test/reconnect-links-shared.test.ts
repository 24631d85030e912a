/**
 * Issue 24 item 4 for the organisation's shared connections (issue 22): the connection's owner
 * is the organisation, so support's reconnect link is mailed to its admins, any of them may
 * use it (anyone else signed in is told it is not theirs), and the reconnect keeps the shared
 * connection: the same id (`sms77_org`), owned by the organisation, with its access kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedRef } from '../src/connections/owner.js'
import { csrfFrom, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { api, createApiKey } from './helpers/api.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { connectShared, grantShared } from './helpers/shared.js'
import { startSmtpSink } from './helpers/smtp-sink.js'
import { addUserAndSignIn } from './helpers/users.js'

let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>
beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({
    name: 'reconnect-links-shared',
    env: { SMTP_URL: sink.url },
    deps: { panelCacheTtlSec: 0 },
  })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

const LINK = /http:\/\/switchboard\.test\/reconnect\/[A-Za-z0-9_-]{43}/

describe('a reconnect link for the organisation’s shared connection', () => {
  it('is mailed to the organisation’s admins, usable by them only, and brings the same connection back', async () => {
    const { agent: founder, email: founderEmail } = await signUp(t.app, 'Relink Co')
    const second = await addUserAndSignIn(t.app, founder, 'admin')
    const support = await addUserAndSignIn(t.app, founder, 'support')
    const member = await addUserAndSignIn(t.app, founder, 'member')
    await connectShared(founder, ['balance', 'sms'])
    await grantShared(founder, member.email, true)
    const key = await createApiKey(founder, 'Relink CRM', ['read'])
    const tenantId = (await t.services.users.findForLogin(founderEmail))!.user.tenantId
    const ref = sharedRef(tenantId, 'sms77')

    // The grant dies at sms77; the next use finds out.
    t.sandbox.control.revokeSms77RefreshTokens()
    const record = (await t.services.store.get(ref))!
    await t.services.store.updateGrant(ref, record.generation, { ...record.grant, expiresAt: Date.now() - 1 })
    await member.agent.get('/dashboard').expect(200)
    expect(await t.services.store.get(ref)).toMatchObject({ status: 'needs_reconnect' })

    // Support opens the connection page (the organisation is its owner) and sends the link.
    const page = await support.agent.get('/support/connections/sms77_org').expect(200)
    expect(page.text).toContain('Relink Co (organisation)')
    expect(page.text).toContain('Send reconnect link')
    const sent = await support.agent
      .post('/support/connections/sms77_org/reconnect-link')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303)
    const flash = (await support.agent.get(sent.headers.location!).expect(200)).text
    expect(flash).toContain('Reconnect link sent to')
    const mails = await Promise.all([sink.mailTo(founderEmail), sink.mailTo(second.email)])
    for (const mail of mails) expect(mail.text).toContain('Your organisation’s shared sms77 connection')
    const paths = mails.map((m) => pathOf(LINK.exec(m.text)![0]))
    expect(paths[0]).toBe(paths[1])
    const path = paths[0]!
    // Nobody else is mailed: not the member with access, not support.
    await expect(sink.mailTo(member.email, 1, 300)).rejects.toThrow()
    await expect(sink.mailTo(support.email, 1, 300)).rejects.toThrow()

    // Anyone signed in who is not an admin of the organisation is told it is not theirs.
    for (const other of [member.agent, support.agent]) {
      const refused = await other.get(path).expect(403)
      expect(refused.text).toContain('This link is for someone else')
      await other
        .post(path)
        .type('form')
        .send({ _csrf: csrfFrom(refused.text) })
        .expect(403)
    }

    // The second admin (who did not connect it) reconnects it through the link.
    const shown = await second.agent.get(path).expect(200)
    expect(shown.text).toContain('Reconnect sms77')
    expect(shown.text).toContain('Your organisation’s shared sms77 connection')
    const start = await second.agent
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(shown.text) })
      .expect(303)
    const consent = await pressConsent(start.headers.location!, 'Allow')
    await second.agent.get(pathOf(consent.location)).expect(303).expect('location', '/admin/connections')

    const after = (await t.services.store.get(ref))!
    expect(after.status).toBe('connected')
    expect(after.createdAt).toBe(record.createdAt)
    // Still the organisation's: same API id and owner, no personal connection made instead.
    const one = await api(t.app, key).get('/api/v1/connections/sms77_org').expect(200)
    expect(one.body).toMatchObject({ owner: { type: 'organisation' }, status: 'connected' })
    const secondId = (await t.services.users.findForLogin(second.email))!.user.id
    expect(await t.services.store.get({ tenantId, userId: secondId, provider: 'sms77' })).toBeNull()
    expect((await member.agent.get('/dashboard').expect(200)).text).toContain('Shared by Relink Co')
    // Used up, and audited.
    await founder.get(path).expect(404)
    const actions = (await t.services.audit.page(tenantId, 50)).entries.map((e) => e.action)
    expect(actions).toContain('connection.reconnect_link_used')
    expect(actions).toContain('support.reconnect_link_sent')
  })
})
