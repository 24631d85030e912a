/**
 * Issue 22 item 1: the organisation's shared connection is kept alive like a person's own:
 * with nobody opening a page, its sms77 refresh token (living 6 s here) is refreshed in the
 * background, so after 14 s it still works and a send goes through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sharedRef } from '../src/connections/owner.js'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { api, createApiKey, smsSent } from './helpers/api.js'
import { waitFor } from './helpers/redis-server.js'
import { connectShared } from './helpers/shared.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({
    name: 'shared-connection-keepalive',
    env: { CONNECTION_KEEPALIVE_SECONDS: '2' },
    deps: { panelCacheTtlSec: 0 },
  })
})
afterAll(() => t.close())

describe('keep-alive of a shared connection', () => {
  it('refreshes it in the background: its refresh tokens living 6 s survive 14 s without a page', async () => {
    t.sandbox.control.options.sms77.refreshTokenTtlSec = 6
    const { agent: admin, email } = await signUp(t.app, 'Kept Alive Co')
    await connectShared(admin)
    const key = await createApiKey(admin, 'Kept CRM', ['read', 'send'])
    const tenantId = (await t.services.users.findForLogin(email))!.user.tenantId
    const before = t.sandbox.control.stats.sms77.refreshes
    const began = Date.now()
    t.services.jobs.start()
    await t.services.jobs.scheduled()
    await waitFor('two refresh-token lifetimes and more', async () => Date.now() - began > 14_000, 30_000)
    expect(t.sandbox.control.stats.sms77.refreshes - before).toBeGreaterThanOrEqual(3)
    expect(t.sandbox.control.stats.sms77.refreshFailures).toBe(0)
    expect(await t.services.store.get(sharedRef(tenantId, 'sms77'))).toMatchObject({ status: 'connected' })
    const sent = smsSent(t)
    await api(t.app, key)
      .post('/api/v1/connections/sms77_org/messages')
      .set('Idempotency-Key', 'kept-alive')
      .send({ to: '+491701234567', text: 'still here' })
      .expect(201)
    expect(smsSent(t) - sent).toBe(1)
  })
})
