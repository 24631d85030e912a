import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { connectionKey, refreshLockKey } from '../src/redis/keys.js'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import { waitFor } from './helpers/redis-server.js'
import { addUserAndSignIn } from './helpers/users.js'

/**
 * Orders of events around one connection: a refresh is at the provider (its token
 * endpoint slowed) when the person disconnects, reconnects, or an admin removes them.
 * Whatever finishes last, a connection that was ended stays ended and tokens obtained
 * too late are revoked, never stored.
 */
let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ name: 'lifecycle-order', deps: { panelCacheTtlSec: 0 } })
})
afterAll(() => t.close())
beforeEach(() => {
  t.sandbox.control.faults.tokenLatencyMs = 0
})

async function connected(agent: Agent, email: string): Promise<ConnectionRef> {
  await connectSms77(t, agent, ['balance'])
  const user = (await t.services.users.findForLogin(email))!.user
  return { tenantId: user.tenantId, userId: user.id, provider: 'sms77' }
}

/** Starts a refresh and resolves once its token request is waiting at the (slowed) provider. */
async function slowRefreshUnderWay(ref: ConnectionRef): Promise<{ done: Promise<unknown> }> {
  const record = (await t.services.store.get(ref))!
  t.sandbox.control.faults.tokenLatencyMs = 3_000
  const refresh = t.services.connections.refresh(ref, record.grant.secrets.accessToken).then(
    (r) => r,
    (e: unknown) => e,
  )
  await waitFor('the refresh lock', async () => (await t.redis.exists(refreshLockKey(ref))) === 1, 5_000)
  await sleep(100)
  // Wrapped: an async function returning a promise would wait for it.
  return { done: refresh }
}

/** Refresh tokens the provider honours now, for this test's sandbox. */
const honoured = () => new Set(t.sandbox.control.sms77RefreshTokens())

/**
 * The late refresh failed instead of writing: the connection was gone when it came back
 * (not_found), or the revocation reached sms77 before its token request did (sms77 then
 * refuses the grant; the fenced mark writes nothing).
 */
function expectGaveWay(result: unknown): void {
  expect(['not_found', 'needs_reconnect']).toContain((result as { code?: string }).code)
}

async function settle(): Promise<void> {
  expect(await t.services.connections.drain(10_000)).toBe(true)
}

describe('order of events around a refresh', () => {
  it('Disconnect while a refresh is at sms77: stays disconnected, the late tokens are revoked', async () => {
    const { agent, email } = await signUp(t.app)
    const ref = await connected(agent, email)
    const known = honoured()
    const csrf = await csrfOf(agent)
    const refresh = await slowRefreshUnderWay(ref)
    await agent.post('/disconnect/sms77').type('form').send({ _csrf: csrf }).expect(303)
    expectGaveWay(await refresh.done)
    await settle()

    expect(await t.services.store.get(ref)).toBeNull()
    expect(await t.redis.exists(connectionKey(ref))).toBe(0)
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('Connect sms77')
    // Whatever sms77 issued in the meantime is no longer honoured: nothing new survives.
    const fresh = [...honoured()].filter((tok) => !known.has(tok))
    expect(fresh).toEqual([])
  })

  it('Reconnect while a refresh is at sms77: the new grant stays, the old refresh does not overwrite it', async () => {
    const { agent, email } = await signUp(t.app)
    const ref = await connected(agent, email)
    const refresh = await slowRefreshUnderWay(ref)
    t.sandbox.control.faults.tokenLatencyMs = 0
    await connectSms77(t, agent, ['balance', 'journal'])
    const reconnected = (await t.services.store.get(ref))!
    // The late refresh gives way to the reconnect: its caller gets the new connection.
    expect(await refresh.done).toMatchObject({ generation: reconnected.generation })
    await settle()

    const now = (await t.services.store.get(ref))!
    expect(now.generation).toBe(reconnected.generation)
    expect(now.grant.secrets).toEqual(reconnected.grant.secrets)
    expect(now.grant.scopes).toEqual(['balance', 'journal'])
    expect(honoured()).toContain(now.grant.secrets.refreshToken)
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('<span class="badge ok">connected</span>')
  })

  it('an admin removes the user while a refresh is at sms77: nothing of theirs is written back', async () => {
    const { agent: admin } = await signUp(t.app)
    const member = await addUserAndSignIn(t.app, admin, 'member')
    const ref = await connected(member.agent, member.email)
    const known = honoured()
    const csrf = await csrfOf(admin, '/admin/users')
    const refresh = await slowRefreshUnderWay(ref)
    await admin.post(`/admin/users/${ref.userId}/remove`).type('form').send({ _csrf: csrf }).expect(303)
    expectGaveWay(await refresh.done)
    await settle()

    expect(await t.redis.exists(connectionKey(ref))).toBe(0)
    expect([...honoured()].filter((tok) => !known.has(tok))).toEqual([])
  })

  it('a refresh that loses its connection to a Disconnect does not mark it needs reconnect either', async () => {
    const { agent, email } = await signUp(t.app)
    const ref = await connected(agent, email)
    const record = (await t.services.store.get(ref))!
    await t.services.connections.disconnect(ref)
    expect(await t.services.store.markNeedsReconnect(ref, record.generation, 'late')).toBe(false)
    expect(await t.redis.exists(connectionKey(ref))).toBe(0)
  })
})
