/**
 * Issue 22 items 1 and 5: webhooks of a shared connection name the organisation as owner and,
 * as `user.email`, the person who acted (who connected, sent or disconnected; null for an API
 * key), every delivery verified with the standardwebhooks library; and every send's audit
 * entry comes through the one audit writer (AuditLog.record).
 */
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { api, createApiKey } from './helpers/api.js'
import { waitFor } from './helpers/redis-server.js'
import { connectShared, grantShared, postForm } from './helpers/shared.js'
import { addUserAndSignIn } from './helpers/users.js'
import { startReceiver, type Hit, type Receiver } from './helpers/webhook-receiver.js'

let t: TestApp
let receiver: Receiver
beforeAll(async () => {
  receiver = await startReceiver()
  t = await startTestApp({
    name: 'shared-connection-webhooks',
    env: { WEBHOOK_ALLOW_PRIVATE: '1' },
    deps: { webhookPolicy: { attempts: 2, backoffMs: 100, maxBackoffMs: 100 } },
  })
  t.services.jobs.start()
})
afterAll(async () => {
  await t.close()
  await receiver.close()
})

interface Body {
  type: string
  data: { connection: { id: string; owner: unknown; user: { email: string | null } }; sentBy?: string }
}
const bodyOf = (hit: Hit) => JSON.parse(hit.body) as Body
const hitsOf = (type: string) => receiver.hits.filter((h) => bodyOf(h).type === type)

describe('webhooks of a shared connection', () => {
  it('name the organisation as owner and the person who acted', async () => {
    const { agent: admin, email: adminEmail } = await signUp(t.app, 'Hooked Shared Co')
    const saved = await postForm(
      admin,
      '/admin/webhook',
      { url: receiver.url, secret: '' },
      '/admin/credentials',
    )
    expect(saved.status).toBe(200)
    const secret = /value="(whsec_[A-Za-z0-9+/=]+)" readonly/.exec(saved.text)![1]!
    await connectShared(admin)
    const colleague = await addUserAndSignIn(t.app, admin, 'member')
    await grantShared(admin, colleague.email, true)
    const sent = await postForm(colleague.agent, '/shared/sms77/sms', { to: '+49 170 1234567', text: 'hi' })
    expect(sent.status).toBe(303)
    const key = await createApiKey(admin, 'Hooked CRM', ['read', 'send'])
    await api(t.app, key)
      .post('/api/v1/connections/sms77_org/messages')
      .set('Idempotency-Key', 'hooked-shared-1')
      .send({ to: '+491701234567', text: 'by key' })
      .expect(201)
    const csrf = await csrfOf(admin, '/admin/connections')
    await admin.post('/admin/connections/sms77/disconnect').type('form').send({ _csrf: csrf }).expect(303)

    await waitFor(
      'the shared connection’s deliveries',
      async () =>
        ['connection.connected', 'connection.disconnected'].every((type) => hitsOf(type).length >= 1) &&
        hitsOf('message.sent').length >= 2,
    )
    const wh = new Webhook(secret)
    for (const hit of receiver.hits)
      expect(wh.verify(hit.body, hit.headers as Record<string, string>)).toBeTruthy()

    const organisation = { type: 'organisation' }
    const connection = (email: string | null) => ({
      id: 'sms77_org',
      provider: 'sms77',
      owner: organisation,
      user: { email },
    })
    expect(bodyOf(hitsOf('connection.connected')[0]!).data.connection).toEqual(connection(adminEmail))
    const sends = hitsOf('message.sent').map((h) => bodyOf(h).data)
    expect(sends.find((d) => d.sentBy === colleague.email)!.connection).toEqual(connection(colleague.email))
    expect(sends.find((d) => d.sentBy === 'Hooked CRM')!.connection).toEqual(connection(null))
    expect(bodyOf(hitsOf('connection.disconnected')[0]!).data.connection).toEqual(connection(adminEmail))

    // Each send is in the audit log, written through AuditLog.record (one writer, chained).
    const tenantId = (await t.services.users.findForLogin(adminEmail))!.user.tenantId
    const { entries } = await t.services.audit.page(tenantId, 50)
    const audited = entries.filter((e) => e.action === 'message.sent')
    expect(audited.map((e) => e.actorEmail).sort()).toEqual([colleague.email, 'Hooked CRM'].sort())
    expect(audited.every((e) => e.accounts.includes('org:sms77'))).toBe(true)
  })
})
