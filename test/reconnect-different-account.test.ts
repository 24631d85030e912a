/**
 * DESIGN "Reconnect links": when the same provider account is granted again the connection
 * keeps its id, name and balance history; a different account replaces it (name and balance
 * history go, as a fresh connect). Here through support's reconnect link, choosing another
 * sms77 account on the sandbox's consent page; the same-account case is reconnect-links.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { csrfFrom, csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { connectSms77 } from './helpers/flows.js'
import { startSmtpSink } from './helpers/smtp-sink.js'
import { addUserAndSignIn } from './helpers/users.js'

let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>
beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({
    name: 'reconnect-different-account',
    env: { SMTP_URL: sink.url },
    deps: { panelCacheTtlSec: 0 },
  })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

describe('a reconnect that grants a different account', () => {
  it('keeps the id but clears the name and the balance history', async () => {
    const { agent: admin } = await signUp(t.app)
    const { agent: owner, email } = await addUserAndSignIn(t.app, admin, 'member')
    await connectSms77(t, owner, ['balance'])
    const user = (await t.services.users.findForLogin(email))!.user
    const ref: ConnectionRef = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' }
    await owner
      .post('/connections/sms77/name')
      .type('form')
      .send({ _csrf: await csrfOf(owner), name: 'Old shop' })
      .expect(303)
    await t.services.balances.record(ref, { amount: 42, currency: 'EUR' }, Date.now() - 3 * 3_600_000)
    const before = (await t.services.store.get(ref))!
    expect((await t.services.balances.history.series(ref)).points.length).toBeGreaterThan(0)

    // The grant dies; support mails a link; the owner reconnects choosing another account.
    t.sandbox.control.revokeSms77RefreshTokens()
    await t.services.store.updateGrant(ref, before.generation, { ...before.grant, expiresAt: Date.now() - 1 })
    await owner.get('/dashboard').expect(200)
    expect((await t.services.store.get(ref))!.status).toBe('needs_reconnect')
    const id = `sms77_${user.id}`
    const page = await admin.get(`/support/connections/${id}`).expect(200)
    await admin
      .post(`/support/connections/${id}/reconnect-link`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303)
    const mail = await sink.mailTo(email)
    const path = pathOf(/http:\/\/switchboard\.test\/reconnect\/[A-Za-z0-9_-]{43}/.exec(mail.text)![0])
    const shown = await owner.get(path).expect(200)
    const start = await owner
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(shown.text) })
      .expect(303)
    const other = String(before.grant.accountId) === '48213' ? '70518' : '48213'
    const consent = await pressConsent(start.headers.location!, 'Allow', { account: other })
    await owner.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')

    const after = (await t.services.store.get(ref))!
    expect(after.status).toBe('connected')
    expect(after.grant.accountId).not.toBe(before.grant.accountId)
    expect(after.name).toBeUndefined()
    expect((await t.services.balances.history.series(ref)).points).toEqual([])
    // The same API id (it names the owner and provider), and the link is used up.
    await admin.get(`/support/connections/${id}`).expect(200)
    await owner.get(path).expect(404)
  })
})
