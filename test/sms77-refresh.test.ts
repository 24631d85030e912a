import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import supertest from 'supertest'
import { createApp } from '../src/boot/app.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'

let t: TestApp

beforeAll(async () => {
  // No panel cache: every dashboard view reaches the provider, so refreshes are visible.
  t = await startTestApp({ name: 'sms77-refresh', deps: { panelCacheTtlSec: 0 } })
})
afterAll(() => t.close())

async function connectedUser(scopes = ['balance', 'journal']): Promise<{ agent: Agent; ref: ConnectionRef }> {
  const { agent, email } = await signUp(t.app)
  await connectSms77(t, agent, scopes)
  const found = await t.services.users.findForLogin(email)
  return { agent, ref: { tenantId: found!.user.tenantId, userId: found!.user.id, provider: 'sms77' } }
}

async function expireLocally(ref: ConnectionRef): Promise<void> {
  const record = await t.services.store.get(ref)
  await t.services.store.saveGrant(ref, { ...record!.grant, expiresAt: Date.now() - 1 })
}

const refreshes = () => t.sandbox.control.stats.sms77.refreshes
const failedRefreshes = () => t.sandbox.control.stats.sms77.refreshFailures

function expectHealthyDashboard(text: string): void {
  expect(text).toContain('john.doe@acme.inc')
  expect(text).toContain('<span class="badge ok">connected</span>')
  expect(text).not.toContain('needs reconnect')
  expect(text).not.toContain('class="panel-error"')
}

describe('refresh', () => {
  it('refreshes a token that is due before using it, and stores the rotated refresh token', async () => {
    const { agent, ref } = await connectedUser()
    const old = (await t.services.store.get(ref))!.grant.secrets
    await expireLocally(ref)
    const before = refreshes()
    const dash = await agent.get('/dashboard').expect(200)
    expect(refreshes()).toBe(before + 1)
    expect(dash.text).toContain('john.doe@acme.inc')
    const now = (await t.services.store.get(ref))!.grant
    expect(now.secrets.accessToken).not.toBe(old.accessToken)
    expect(now.secrets.refreshToken).not.toBe(old.refreshToken)
    // The stored refresh token is the one the provider currently honours.
    expect(t.sandbox.control.sms77RefreshTokens()).toContain(now.secrets.refreshToken)
    expect(t.sandbox.control.sms77RefreshTokens()).not.toContain(old.refreshToken)
    expect(now.expiresAt! - Date.now()).toBeGreaterThan(3000 * 1000)
  })

  it('refreshes once and retries when the provider answers 401', async () => {
    const { agent, ref } = await connectedUser(['balance'])
    const old = (await t.services.store.get(ref))!.grant.secrets.accessToken
    t.sandbox.control.expireSms77AccessTokens()
    const before = refreshes()
    const dash = await agent.get('/dashboard').expect(200)
    expect(refreshes()).toBe(before + 1)
    expect(dash.text).toMatch(/class="stat-big">[\d.,]+ EUR/)
    expect(dash.text).not.toContain('did not accept')
    expect((await t.services.store.get(ref))!.grant.secrets.accessToken).not.toBe(old)
  })

  it('20 concurrent dashboard requests after expiry make exactly one refresh and all succeed', async () => {
    const { agent, ref } = await connectedUser()
    await expireLocally(ref)
    t.sandbox.control.expireSms77AccessTokens()
    const before = refreshes()
    const failedBefore = failedRefreshes()
    // A slow token endpoint makes every request arrive while the first refresh is in flight.
    t.sandbox.control.setFaults({ tokenLatencyMs: 150 })
    const pages = await Promise.all(Array.from({ length: 20 }, () => agent.get('/dashboard'))).finally(() =>
      t.sandbox.control.setFaults({ tokenLatencyMs: 0 }),
    )
    for (const p of pages) {
      expect(p.status).toBe(200)
      expectHealthyDashboard(p.text)
    }
    expect(refreshes()).toBe(before + 1)
    expect(failedRefreshes()).toBe(failedBefore)
    expect((await t.services.store.get(ref))?.status).toBe('connected')
    expect(t.sandbox.control.sms77RefreshTokens()).toContain(
      (await t.services.store.get(ref))!.grant.secrets.refreshToken,
    )
  })

  it('two app instances sharing Redis never refresh the same connection twice', async () => {
    const { agent, ref } = await connectedUser(['balance'])
    const second = createApp({
      config: t.config,
      redis: t.redis,
      logger: (await import('../src/logging/logger.js')).createLogger('silent'),
      panelCacheTtlSec: 0,
    })
    const cookie = (await agent.get('/dashboard')).request.cookies
    await expireLocally(ref)
    const before = refreshes()
    const failedBefore = failedRefreshes()
    t.sandbox.control.setFaults({ tokenLatencyMs: 150 })
    const pages = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        i % 2 ? agent.get('/dashboard') : supertest(second).get('/dashboard').set('Cookie', cookie),
      ),
    ).finally(() => t.sandbox.control.setFaults({ tokenLatencyMs: 0 }))
    for (const p of pages) {
      expect(p.status).toBe(200)
      expectHealthyDashboard(p.text)
    }
    expect(refreshes()).toBe(before + 1)
    expect(failedRefreshes()).toBe(failedBefore)
    expect((await t.services.store.get(ref))?.status).toBe('connected')
  })

  it('marks the connection needs reconnect on invalid_grant, shows Reconnect, and keeps the record', async () => {
    const { agent, ref } = await connectedUser()
    t.sandbox.control.revokeSms77RefreshTokens()
    await expireLocally(ref)
    const dash = await agent.get('/dashboard').expect(200)
    expect(dash.text).toContain('needs reconnect')
    expect(dash.text).toContain('Reconnect sms77')
    const record = await t.services.store.get(ref)
    expect(record?.status).toBe('needs_reconnect')
    expect(record?.grant.accountId).toBe('12345')
    // No further refresh is attempted while it needs a reconnect.
    const before = refreshes() + t.sandbox.control.stats.sms77.refreshFailures
    await agent.get('/dashboard').expect(200)
    expect(refreshes() + t.sandbox.control.stats.sms77.refreshFailures).toBe(before)
    // Reconnecting brings it back.
    await connectSms77(t, agent, ['balance'])
    expect((await t.services.store.get(ref))?.status).toBe('connected')
  })

  it('keeps the tokens and the connection when the token endpoint fails (5xx)', async () => {
    const { agent, ref } = await connectedUser(['balance'])
    await expireLocally(ref)
    const stored = (await t.services.store.get(ref))!.grant.secrets
    t.sandbox.control.setFaults({ tokenFails: true })
    try {
      const dash = await agent.get('/dashboard').expect(200)
      expect(dash.text).toContain('could not issue a token')
      const after = await t.services.store.get(ref)
      expect(after?.status).toBe('connected')
      expect(after?.grant.secrets).toEqual(stored)
    } finally {
      t.sandbox.control.setFaults({ tokenFails: false })
    }
    await agent.get('/dashboard').expect(200)
    expect((await t.services.store.get(ref))!.grant.secrets.refreshToken).not.toBe(stored.refreshToken)
  })
})
