/**
 * Reconnect links and the support connection page (issue 24): support mails the owner of a
 * broken connection a link; opening it changes nothing (mail scanners open links); only the
 * owner can use it (others are told, nobody signed in is asked to sign in and brought
 * back); it lasts 72 hours and a completed reconnect uses it up; the same account keeps
 * the connection's id, name and balance history. Real Redis, the sandbox on a loopback
 * port, mail over real SMTP to a sink.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { reconnectLinkKey } from '../src/redis/keys.js'
import { digestOf } from '../src/auth/link-token.js'
import { csrfFrom, csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { waitFor } from './helpers/redis-server.js'
import { startSmtpSink } from './helpers/smtp-sink.js'
import { addUserAndSignIn } from './helpers/users.js'

let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>

beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({
    name: 'reconnect-links',
    env: { SMTP_URL: sink.url },
    deps: { panelCacheTtlSec: 0 },
  })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

interface Org {
  admin: Agent
  support: Agent
  owner: Agent
  ownerEmail: string
  password: string
  ref: ConnectionRef
  id: string
}

/** An organisation with a support person and a member whose sms77 connection needs reconnect. */
async function brokenConnection(): Promise<Org> {
  const { agent: admin } = await signUp(t.app)
  const { agent: support } = await addUserAndSignIn(t.app, admin, 'support')
  const { agent: owner, email: ownerEmail } = await addUserAndSignIn(t.app, admin, 'member')
  await connectSms77(t, owner, ['balance', 'analytics'])
  const user = (await t.services.users.findForLogin(ownerEmail))!.user
  const ref: ConnectionRef = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' }
  await owner
    .post('/connections/sms77/name')
    .type('form')
    .send({ _csrf: await csrfOf(owner), name: 'Shop account' })
    .expect(303)
  await t.services.balances.record(ref, { amount: 42, currency: 'EUR' }, Date.now() - 3 * 3_600_000)
  // The grant dies at sms77: the next use finds it out.
  t.sandbox.control.revokeSms77RefreshTokens()
  const record = (await t.services.store.get(ref))!
  await t.services.store.updateGrant(ref, record.generation, { ...record.grant, expiresAt: Date.now() - 1 })
  await owner.get('/dashboard').expect(200)
  expect((await t.services.store.get(ref))!.status).toBe('needs_reconnect')
  return {
    admin,
    support,
    owner,
    ownerEmail,
    password: 'a long enough password',
    ref,
    id: `sms77_${user.id}`,
  }
}

/** Support presses Send reconnect link on the connection page; returns the mailed link's path. */
async function sendLink(o: Org, n = 1): Promise<string> {
  const page = await o.support.get(`/support/connections/${o.id}`).expect(200)
  expect(page.text).toContain('Send reconnect link')
  const res = await o.support
    .post(`/support/connections/${o.id}/reconnect-link`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text) })
    .expect(303)
  expect(res.headers.location).toBe(`/support/connections/${o.id}`)
  expect((await o.support.get(res.headers.location!)).text).toContain(
    `Reconnect link sent to ${o.ownerEmail}`,
  )
  const mail = await sink.mailTo(o.ownerEmail, n)
  const link = /http:\/\/switchboard\.test\/reconnect\/[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0]
  expect(link, mail.text).toBeDefined()
  return pathOf(link!)
}

const rawRecord = (ref: ConnectionRef) =>
  t.redis.hgetall(`t:{${ref.tenantId}}:conn:${ref.userId}:${ref.provider}`)

async function auditActions(tenantId: string): Promise<string[]> {
  return (await t.services.audit.page(tenantId, 50)).entries.map((e) => `${e.action} ${e.detail}`)
}

describe('the support connection page', () => {
  it('shows status, reason and the last events, offers Test connection; each view and test is audited', async () => {
    const o = await brokenConnection()
    const page = await o.support.get(`/support/connections/${o.id}`).expect(200)
    expect(page.text).toContain('needs reconnect')
    expect(page.text).toContain('grant expired')
    // Newest first: needs reconnect (grant expired) after connected.
    const events = [...page.text.matchAll(/<tr><td[^>]*>[^<]*<\/td><td[^>]*>([^<]*)<\/td><\/tr>/g)].map(
      (m) => m[1],
    )
    expect(events).toEqual(['needs reconnect: grant expired', 'connected'])
    const record = (await t.services.store.get(o.ref))!
    for (const secret of [record.grant.secrets.accessToken, record.grant.secrets.refreshToken!])
      expect(page.text).not.toContain(secret)
    const test = await o.support
      .post(`/support/connections/${o.id}/test`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303)
    const after = await o.support.get(test.headers.location!).expect(200)
    expect(after.text).toContain('Test connection: sms77 did not work. sms77 needs to be reconnected.')
    const actions = await auditActions(o.ref.tenantId)
    expect(actions.filter((a) => a.startsWith('support.connection_view'))).toHaveLength(2)
    expect(
      actions.some((a) => a.startsWith('support.connection_test') && a.endsWith(': needs_reconnect')),
    ).toBe(true)
    // Members never see it; another organisation's connection is a 404.
    await o.owner.get(`/support/connections/${o.id}`).expect(403)
    const other = await brokenConnection()
    await o.support.get(`/support/connections/${other.id}`).expect(404)
  })

  it('Test connection on a working one reads the account now and says so', async () => {
    const { agent: admin, email } = await signUp(t.app)
    await connectNexmo(admin)
    const user = (await t.services.users.findForLogin(email))!.user
    const id = `nexmo_${user.id}`
    const balanceCalls = () => t.sandbox.control.stats.nexmo.apiCalls['get-balance'] ?? 0
    const calls = balanceCalls()
    const res = await admin
      .post(`/support/connections/${id}/test`)
      .type('form')
      .send({ _csrf: await csrfOf(admin, `/support/connections/${id}`) })
      .expect(303)
    expect(balanceCalls()).toBe(calls + 1)
    expect((await admin.get(res.headers.location!)).text).toMatch(
      /Test connection: Nexmo answered\. Balance: €?[\d.,]+/,
    )
  })
})

describe('reconnect links', () => {
  it('a scanner’s GET changes nothing; the owner reconnects the same account: same id, name and balance history; the link is used up', async () => {
    const o = await brokenConnection()
    const path = await sendLink(o)
    const before = await rawRecord(o.ref)
    const digest = digestOf(path.split('/').pop()!)
    const ttl = await t.redis.ttl(reconnectLinkKey(digest))
    expect(ttl).toBeGreaterThan(72 * 3600 - 60)
    expect(ttl).toBeLessThanOrEqual(72 * 3600)

    // A mail scanner (no session) and the owner opening it: nothing changes, the link stays.
    const scanner = await supertest(t.app).get(path).expect(303)
    expect(scanner.headers.location).toBe('/login')
    const shown = await o.owner.get(path).expect(200)
    expect(shown.text).toContain('Reconnect sms77')
    expect(shown.text).toContain('Shop account')
    await o.owner.get(path).expect(200)
    expect(await rawRecord(o.ref)).toEqual(before)
    expect(await t.redis.exists(reconnectLinkKey(digest))).toBe(1)

    // Reconnect sms77 (POST) starts the provider flow; Allow brings the same account back.
    const start = await o.owner
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(shown.text) })
      .expect(303)
    const authorize = new URL(start.headers.location!)
    expect(authorize.searchParams.get('scope')?.split(' ').sort()).toEqual(['analytics', 'balance'])
    const consent = await pressConsent(authorize.toString(), 'Allow')
    await o.owner.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
    const after = (await t.services.store.get(o.ref))!
    expect(after.status).toBe('connected')
    expect(after.name).toBe('Shop account')
    expect(after.createdAt).toBe(Number(before.createdAt))
    expect((await t.services.balances.history.series(o.ref)).points.length).toBeGreaterThan(0)
    const support = await o.support.get('/support').expect(200)
    expect(support.text).toContain(`/support/connections/${o.id}`)
    // Used up: the link now says so, and a second reconnect through it is refused.
    await o.owner.get(path).expect(404)
    await o.owner
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(shown.text) })
      .expect(404)
    const actions = await auditActions(o.ref.tenantId)
    expect(
      actions.some((a) =>
        a.startsWith(`support.reconnect_link_sent reconnect link for sms77 mailed to ${o.ownerEmail}`),
      ),
    ).toBe(true)
    expect(actions.some((a) => a.startsWith('connection.reconnect_link_used'))).toBe(true)
  })

  it('someone else signed in is told the link is not theirs, and cannot use it', async () => {
    const o = await brokenConnection()
    const path = await sendLink(o)
    const before = await rawRecord(o.ref)
    const page = await o.support.get(path).expect(403)
    expect(page.text).toContain('This link is for someone else')
    await o.admin
      .post(path)
      .type('form')
      .send({ _csrf: await csrfOf(o.admin) })
      .expect(403)
    expect(await rawRecord(o.ref)).toEqual(before)
    await o.owner.get(path).expect(200)
  })

  it('nobody signed in is asked to sign in, and comes back to the link afterwards', async () => {
    const o = await brokenConnection()
    const path = await sendLink(o)
    const visitor = supertest.agent(t.app)
    await visitor.get(path).expect(303).expect('location', '/login')
    const login = await visitor.get('/login').expect(200)
    await visitor
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), email: o.ownerEmail, password: o.password })
      .expect(303)
      .expect('location', path)
    expect((await visitor.get(path).expect(200)).text).toContain('Reconnect sms77')
  })

  it('an expired link is refused', async () => {
    const o = await brokenConnection()
    const path = await sendLink(o)
    const key = reconnectLinkKey(digestOf(path.split('/').pop()!))
    await t.redis.pexpire(key, 1)
    await waitFor('the link to expire', async () => (await t.redis.exists(key)) === 0)
    const page = await o.owner.get(path).expect(404)
    expect(page.text).toContain('This link no longer works')
  })

  it('a reconnect with another account replaces the connection as before: name and history go', async () => {
    const { agent, email } = await signUp(t.app)
    await connectNexmo(agent)
    const user = (await t.services.users.findForLogin(email))!.user
    const ref: ConnectionRef = { tenantId: user.tenantId, userId: user.id, provider: 'nexmo' }
    await agent
      .post('/connections/nexmo/name')
      .type('form')
      .send({ _csrf: await csrfOf(agent), name: 'Old' })
      .expect(303)
    await t.services.balances.record(ref, { amount: 5, currency: 'EUR' })
    const old = (await t.services.store.get(ref))!
    // Another of the sandbox's Nexmo accounts, chosen on its consent page (Nexmo's answer
    // names the account by its API key, issue 29).
    const begun = await agent
      .post('/connect/nexmo')
      .type('form')
      .send({ _csrf: await csrfOf(agent) })
      .expect(303)
    const consent = await pressConsent(begun.headers.location!, 'Allow', { account: 'lindqvist' })
    await agent.get(pathOf(consent.location)).expect(303)
    const now = (await t.services.store.get(ref))!
    expect([old.grant.accountId, now.grant.accountId]).toEqual(['3f9c2e1a', '7be04d19'])
    expect(now.name).toBeUndefined()
    expect((await t.services.balances.history.series(ref)).points).toEqual([])
  })
})
