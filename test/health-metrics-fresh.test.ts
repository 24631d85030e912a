/**
 * Issue 24 item 1: `/metrics` counts connections by status and reason from what is stored
 * (each tenant's connection index and health hash, read on scrape), not from changes seen
 * since the process started: an instance started after the connections broke reports the
 * same figures as the one that saw them break.
 */
import supertest from 'supertest'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../src/boot/app.js'
import { sharedRef } from '../src/connections/owner.js'
import { createLogger } from '../src/logging/logger.js'
import { createMetrics } from '../src/ops/metrics.js'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { steppedClock } from './helpers/clock.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { connectShared } from './helpers/shared.js'

const clock = steppedClock()
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({
    name: 'health-metrics-fresh',
    deps: { panelCacheTtlSec: 0, health: { now: clock.now }, metrics: createMetrics() },
  })
})
afterEach(() => t.sandbox.control.setFaults({ tokenFails: false, apiFails: false, failStatus: 500 }))
afterAll(() => t.close())

async function scrape(app: Parameters<typeof supertest>[0]): Promise<Record<string, number>> {
  const res = await supertest(app).get('/metrics').expect(200)
  const out: Record<string, number> = {}
  for (const m of res.text.matchAll(/^connections\{status="(\w+)",reason="(\w*)"\} (\d+)$/gm))
    out[`${m[1]}/${m[2]}`] = Number(m[3])
  return out
}

describe('/metrics connections by status and reason', () => {
  it('a fresh instance reports the stored figures, the same as the instance that saw the changes', async () => {
    const { agent: admin, email } = await signUp(t.app, 'Metrics Co')
    const tenantId = (await t.services.users.findForLogin(email))!.user.tenantId

    // The organisation's sms77 becomes degraded: its token endpoint answers 503.
    await connectShared(admin)
    const ref = sharedRef(tenantId, 'sms77')
    const record = (await t.services.store.get(ref))!
    await t.services.store.saveGrant(ref, { ...record.grant, expiresAt: Date.now() - 1 })
    t.sandbox.control.expireSms77AccessTokens()
    t.sandbox.control.setFaults({ tokenFails: true, failStatus: 503 })
    await admin.get('/dashboard').expect(200)
    t.sandbox.control.setFaults({ tokenFails: false, failStatus: 500 })
    expect(await t.services.store.get(ref)).toMatchObject({ status: 'degraded' })

    // The admin's own sms77 works; their Nexmo grant is revoked at Nexmo.
    await connectSms77(t, admin, ['balance'])
    await connectNexmo(admin)
    t.sandbox.control.revokeNexmoAccessTokens()
    await admin.get('/dashboard').expect(200)
    const nexmo = await t.services.store.get({
      tenantId,
      userId: (await t.services.users.findForLogin(email))!.user.id,
      provider: 'nexmo',
    })
    expect(nexmo).toMatchObject({ status: 'needs_reconnect', statusReason: 'access_revoked' })

    const expected = {
      'connected/': 1,
      'degraded/provider_unavailable': 1,
      'needs_reconnect/grant_expired': 0,
      'needs_reconnect/access_revoked': 1,
    }
    expect(await scrape(t.app)).toEqual(expected)
    // A second instance started now, with its own metrics registry, has seen no change at all.
    const fresh = createApp({
      config: t.config,
      redis: t.redis,
      logger: createLogger('silent'),
      jobs: t.services.jobs,
      metrics: createMetrics(),
    })
    expect(await scrape(fresh)).toEqual(expected)
  })
})
