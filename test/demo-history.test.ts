/**
 * Issue 29 item 6: on a fresh install the support console says why a sparkline is missing,
 * and `seed-demo` writes a balance history, so its accounts show a trend and a run-out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import { seedDemo } from '../src/support/seed-demo.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'demo-history' })
})
afterAll(() => t.close())

const sparks = (html: string) => html.match(/<svg class="spark"/g)?.length ?? 0

describe('balance history on a fresh install (issue 29)', () => {
  it('says "not enough history yet" for an account read in one hour only', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent, ['balance'])
    await agent.get('/dashboard').expect(200)
    const page = (await agent.get('/support').expect(200)).text
    expect(sparks(page)).toBe(0)
    expect(page).toContain('>not enough history yet</span>')
    const german = (await agent.get('/support').set('Accept-Language', 'de').expect(200)).text
    expect(german).toContain('>noch zu wenig Verlauf</span>')
  })

  it('seeds a week of history with the demo accounts: each shows a sparkline, falling ones a run-out', async () => {
    const { agent, email } = await signUp(t.app, 'Demo Org')
    const tenantId = (await t.services.users.findForLogin(email))!.user.tenantId
    await seedDemo(t.redis, t.services.ciphers, tenantId, 12)
    const page = (await agent.get('/support?sort=email').expect(200)).text
    expect(sparks(page)).toBe(12)
    expect(page).toMatch(/<span class="runout">/)
    expect(page).not.toContain('not enough history yet')
  })
})
