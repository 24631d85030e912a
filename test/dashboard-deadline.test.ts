import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'dashboard-deadline', deps: { panelCacheTtlSec: 0 } })
})
afterAll(() => t.close())

describe('a provider that hangs', () => {
  it('costs each panel its deadline, never the page: it renders within 3 s with per-panel errors and spends no refresh', async () => {
    const { agent, email } = await signUp(t.app)
    await connectSms77(t, agent, ['balance', 'journal'])
    const refreshes = t.sandbox.control.stats.sms77.refreshes
    t.sandbox.control.setFaults({ apiHangs: true })
    try {
      const started = Date.now()
      const dash = await agent.get('/dashboard').expect(200)
      expect(Date.now() - started).toBeLessThan(3_000)
      expect(dash.text).toContain('took too long to answer')
      expect(dash.text).toContain('Disconnect sms77')
    } finally {
      t.sandbox.control.setFaults({ apiHangs: false })
    }
    const user = (await t.services.users.findForLogin(email))!.user
    expect(
      (await t.services.store.get({ tenantId: user.tenantId, userId: user.id, provider: 'sms77' }))?.status,
    ).toBe('connected')
    expect(t.sandbox.control.stats.sms77.refreshes).toBe(refreshes)
  })
})
