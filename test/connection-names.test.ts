/**
 * Issue 16 item 4: each connection can be given a name by its owner, shown instead of an
 * opaque id on the dashboard and the support console; kept through a refresh and a
 * reconnect to the same account, forgotten on disconnect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionChange } from '../src/connections/events.js'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'

let t: TestApp
const changes: ConnectionChange[] = []
beforeAll(async () => {
  t = await startTestApp({
    name: 'connection-names',
    deps: { events: { changed: (c) => void changes.push(c) } },
  })
})
afterAll(() => t.close())

const unescape = (html: string) => html.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')

async function nameIt(agent: Agent, provider: string, name: string): Promise<string> {
  await agent
    .post(`/connections/${provider}/name`)
    .type('form')
    .send({ _csrf: await csrfOf(agent), name })
    .expect(303)
  return unescape((await agent.get('/dashboard').expect(200)).text)
}

describe('connection names', () => {
  it('shows the owner’s name on the card and in support, announces it, and finds it by search', async () => {
    const { agent, email } = await signUp(t.app)
    await connectSms77(t, agent)
    const page = await nameIt(agent, 'sms77', '  Shop Berlin & Co  ')
    expect(page).toContain('sms77 connection named “Shop Berlin & Co”.')
    expect(page).toContain('<span class="card-name">Shop Berlin &amp; Co</span>'.replace('&amp;', '&'))
    const user = (await t.services.users.findForLogin(email))!.user
    const ref = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' as const }
    expect((await t.services.store.get(ref))?.name).toBe('Shop Berlin & Co')
    expect(changes).toContainEqual({
      kind: 'renamed',
      ref,
      accountLabel: expect.any(String) as string,
      name: 'Shop Berlin & Co',
    })
    const support = unescape((await agent.get('/support?q=shop+berlin').expect(200)).text)
    expect(support).toContain('<td data-label="Account">Shop Berlin & Co</td>')
    expect(support).toContain(email)
  })

  it('keeps a name that is too long as typed, with the reason, and stores nothing', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent)
    const long = 'x'.repeat(61)
    const page = await nameIt(agent, 'sms77', long)
    expect(page).toContain('Not saved: Keep the name to 60 characters or fewer.')
    expect(page).toContain(`value="${long}"`)
    expect(page).not.toContain('class="card-name"')
    expect(await nameIt(agent, 'sms77', 'bad\u0007bell')).toContain('Not saved: Use letters, digits')
  })

  it('survives a refresh and a reconnect to the same account, and is forgotten on disconnect', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent)
    await nameIt(agent, 'sms77', 'Head office')
    await agent
      .post('/dashboard/refresh')
      .type('form')
      .send({ _csrf: await csrfOf(agent) })
      .expect(303)
    expect((await agent.get('/dashboard').expect(200)).text).toContain(
      '<span class="card-name">Head office</span>',
    )
    await connectSms77(t, agent, ['balance', 'sms'])
    expect((await agent.get('/dashboard').expect(200)).text).toContain(
      '<span class="card-name">Head office</span>',
    )
    await agent
      .post('/disconnect/sms77')
      .type('form')
      .send({ _csrf: await csrfOf(agent) })
      .expect(303)
    await connectSms77(t, agent)
    expect((await agent.get('/dashboard').expect(200)).text).not.toContain('class="card-name"')
  })

  it('clears a name when saved empty, and says so when the account is gone', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent)
    await nameIt(agent, 'sms77', 'Temp')
    expect(await nameIt(agent, 'sms77', '')).toContain('sms77 connection name cleared.')
    expect(await nameIt(agent, 'nexmo', 'Nobody')).toContain(
      'Not saved: your Nexmo account is no longer connected.',
    )
  })

  it('names a Nexmo account readably instead of by a hash', async () => {
    const { agent } = await signUp(t.app)
    await connectNexmo(agent)
    const page = (await agent.get('/dashboard').expect(200)).text
    expect(page).toMatch(/<dt>Account<\/dt><dd>Nexmo account ending [0-9a-z]{4}<\/dd>/)
    expect(page).not.toMatch(/Nexmo account [0-9a-f]{12}/)
    expect(await nameIt(agent, 'nexmo', 'Harbourline')).toContain(
      '<span class="card-name">Harbourline</span>',
    )
    expect((await agent.get('/support').expect(200)).text).toContain(
      '<td data-label="Account">Harbourline</td>',
    )
  })
})
