/**
 * Issues 22 and 24 together: a shared connection whose provider is down is `degraded`
 * (`provider_unavailable`) and says **temporarily unavailable**, never **needs reconnect**, on
 * the shared card of a person with access and on /admin/connections; it is tried at most once
 * per back-off step, and is connected again once the provider answers after the back-off.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sharedRef } from '../src/connections/owner.js'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { steppedClock } from './helpers/clock.js'
import { connectShared, grantShared } from './helpers/shared.js'
import { addUserAndSignIn } from './helpers/users.js'

const clock = steppedClock()
let t: TestApp
beforeAll(async () => {
  t = await startTestApp({
    name: 'shared-connection-health',
    deps: { panelCacheTtlSec: 0, health: { now: clock.now } },
  })
})
afterEach(() => t.sandbox.control.setFaults({ tokenFails: false, apiFails: false, failStatus: 500 }))
afterAll(() => t.close())

const UNAVAILABLE = '<span class="badge warn">temporarily unavailable</span>'
const tokenRequests = () =>
  t.sandbox.control.stats.sms77.refreshes + t.sandbox.control.stats.sms77.refreshFailures

/** The shared card's HTML alone. */
function sharedCard(page: string): string {
  const start = page.indexOf('<section class="card provider shared"')
  expect(start, 'a shared card').toBeGreaterThanOrEqual(0)
  return page.slice(start, page.indexOf('</section>\n</div>', start))
}

describe('a degraded shared connection', () => {
  it('says temporarily unavailable on the shared card and on /admin/connections, then recovers', async () => {
    const { agent: admin, email } = await signUp(t.app, 'Down Co')
    await connectShared(admin)
    const colleague = await addUserAndSignIn(t.app, admin, 'member')
    await grantShared(admin, colleague.email, true)
    const tenantId = (await t.services.users.findForLogin(email))!.user.tenantId
    const ref = sharedRef(tenantId, 'sms77')
    expect((await colleague.agent.get('/dashboard').expect(200)).text).toContain('Shared by Down Co')

    // The access token is spent here and at the provider; its token endpoint answers 503.
    const record = (await t.services.store.get(ref))!
    await t.services.store.saveGrant(ref, { ...record.grant, expiresAt: Date.now() - 1 })
    t.sandbox.control.expireSms77AccessTokens()
    t.sandbox.control.setFaults({ tokenFails: true, failStatus: 503 })
    const before = tokenRequests()

    await colleague.agent.get('/dashboard').expect(200)
    expect(await t.services.store.get(ref)).toMatchObject({
      status: 'degraded',
      statusReason: 'provider_unavailable',
      backoff: { step: 1 },
    })
    for (let i = 0; i < 5; i++) {
      const card = sharedCard((await colleague.agent.get('/dashboard').expect(200)).text)
      expect(card).toContain(UNAVAILABLE)
      expect(card).not.toContain('needs reconnect')
      expect(card).toContain('Shared by Down Co')
    }
    const page = (await admin.get('/admin/connections').expect(200)).text
    expect(page).toContain(UNAVAILABLE)
    expect(page).toContain('<dd>temporarily unavailable</dd>')
    expect(page).not.toContain('needs reconnect')
    // However many pages: one token request in this back-off step.
    expect(tokenRequests()).toBe(before + 1)

    // The provider is back; after the step the next page refreshes once and it is connected.
    t.sandbox.control.setFaults({ tokenFails: false, failStatus: 500 })
    clock.advance(31_000)
    await colleague.agent.get('/dashboard').expect(200)
    expect(await t.services.store.get(ref)).toMatchObject({ status: 'connected', statusReason: undefined })
    const back = sharedCard((await colleague.agent.get('/dashboard').expect(200)).text)
    expect(back).not.toContain('temporarily unavailable')
    expect(back).toContain('<span class="badge ok">connected</span>')
    expect((await admin.get('/admin/connections').expect(200)).text).not.toContain('temporarily unavailable')
  })
})
