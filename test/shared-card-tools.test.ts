/**
 * Issue 22 item 3: a shared card offers the grant's scope tools that the person's access
 * allows (delivery reports with any access; lookup, voice and caller ID with May send), they
 * work through /shared/:provider/<tool>, and without access they never appear, not even from
 * a dashboard page kept from before access was removed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { addUserAndSignIn } from './helpers/users.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'shared-card-tools' })
})
afterAll(() => t.close())

const ALL = ['balance', 'sms', 'lookup', 'status', 'voice', 'validate_for_voice']
const calls = (name: string) => t.sandbox.control.stats.sms77.apiCalls[name] ?? 0

async function connectShared(admin: Agent, scopes: string[]): Promise<void> {
  const csrf = await csrfOf(admin, '/admin/connections')
  const res = await admin
    .post('/admin/connections/sms77/connect')
    .type('form')
    .send(`_csrf=${encodeURIComponent(csrf)}&${scopes.map((s) => `scope=${s}`).join('&')}`)
    .expect(303)
  const consent = await pressConsent(res.headers.location!, 'Allow')
  await admin.get(pathOf(consent.location)).expect(303)
}

async function post(agent: Agent, path: string, form: Record<string, string>, page = '/dashboard') {
  const csrf = await csrfOf(agent, page)
  return agent
    .post(path)
    .type('form')
    .send({ _csrf: csrf, ...form })
}

async function grant(admin: Agent, email: string, maySend: boolean) {
  const form: Record<string, string> = { email, dailyLimit: '' }
  if (maySend) form.maySend = 'on'
  expect((await post(admin, '/admin/connections/sms77/access', form, '/admin/connections')).status).toBe(303)
}

/** The shared card's HTML alone (the person's own cards may have forms of their own). */
function sharedCard(page: string): string {
  const start = page.indexOf('<section class="card provider shared"')
  if (start < 0) return ''
  return page.slice(start, page.indexOf('<div class="cards">', start))
}

const FORMS = {
  lookup: 'action="/shared/sms77/lookup"',
  status: 'action="/shared/sms77/status"',
  voice: 'action="/shared/sms77/voice"',
  callerId: 'action="/shared/sms77/caller-id"',
}

describe('scope tools on a shared card', () => {
  it('shows the tools the access allows, and they work through the shared connection', async () => {
    const { agent: admin } = await signUp(t.app, 'Tools Co')
    await connectShared(admin, ALL)
    const sender = await addUserAndSignIn(t.app, admin, 'member')
    const reader = await addUserAndSignIn(t.app, admin, 'member')
    await grant(admin, sender.email, true)
    await grant(admin, reader.email, false)

    // May send: every tool the grant offers, each a form to the shared route with its own ids.
    const full = sharedCard((await sender.agent.get('/dashboard').expect(200)).text)
    expect(full).toContain('Shared by Tools Co')
    for (const form of Object.values(FORMS)) expect(full).toContain(form)
    expect(full).toContain('id="tool-shared-sms77-lookup"')
    expect(full).toContain('>Look up number</button>')
    // The list of the latest reports is not shown: it would name every sender's recipients.
    expect(full).not.toContain('Latest messages')

    // A lookup through the shared card reaches the provider once and is shown on that card.
    const before = calls('lookup')
    const res = await post(sender.agent, '/shared/sms77/lookup', {
      number: '+49 176 12345678',
      kind: 'format',
    })
    expect(res.status).toBe(303)
    expect(res.headers.location).toBe('/dashboard#tool-shared-sms77-lookup')
    const after = sharedCard((await sender.agent.get('/dashboard').expect(200)).text)
    expect(after).toMatch(/<strong>\+49 176 12345678<\/strong>: a valid number/)
    expect(calls('lookup')).toBe(before + 1)
    // Attributed like a send: who used which tool, the number masked.
    const tenantId = (await t.services.users.findForLogin(sender.email))!.user.tenantId
    const used = (await t.services.audit.page(tenantId, 20)).entries.filter(
      (e) => e.action === 'shared.tool_used',
    )
    expect(used.map((e) => [e.actorEmail, e.detail, e.accounts])).toEqual([
      [sender.email, 'used lookup for +49•••••••5678 through sms77 (shared)', ['org:sms77']],
    ])

    // Access without May send: delivery reports only; a posted lookup is refused, nothing asked.
    const reading = sharedCard((await reader.agent.get('/dashboard').expect(200)).text)
    expect(reading).toContain(FORMS.status)
    for (const form of [FORMS.lookup, FORMS.voice, FORMS.callerId]) expect(reading).not.toContain(form)
    const refused = await post(reader.agent, '/shared/sms77/lookup', {
      number: '+49 176 12345678',
      kind: 'format',
    })
    expect(refused.status).toBe(403)
    expect(calls('lookup')).toBe(before + 1)

    // Admins always may.
    const adminCard = sharedCard((await admin.get('/dashboard').expect(200)).text)
    for (const form of Object.values(FORMS)) expect(adminCard).toContain(form)
  })

  it('offers only the tools the grant has', async () => {
    const { agent: admin } = await signUp(t.app, 'Few Tools Co')
    await connectShared(admin, ['balance', 'sms', 'status'])
    const colleague = await addUserAndSignIn(t.app, admin, 'member')
    await grant(admin, colleague.email, true)
    const card = sharedCard((await colleague.agent.get('/dashboard').expect(200)).text)
    expect(card).toContain(FORMS.status)
    expect(card).not.toContain(FORMS.lookup)
    expect(card).not.toContain(FORMS.voice)
  })

  it('without access the tools never appear, also not from a kept page, and their routes refuse', async () => {
    const { agent: admin } = await signUp(t.app, 'Gone Tools Co')
    await connectShared(admin, ALL)
    const colleague = await addUserAndSignIn(t.app, admin, 'member')
    // Never granted: no tool form, twice (the second load may be a kept page).
    for (let i = 0; i < 2; i++) {
      const page = (await colleague.agent.get('/dashboard').expect(200)).text
      for (const form of Object.values(FORMS)) expect(page).not.toContain(form)
    }
    const before = calls('lookup')
    const stranger = await post(colleague.agent, '/shared/sms77/lookup', {
      number: '+4917612345678',
      kind: 'format',
    })
    expect(stranger.status).toBe(404)

    await grant(admin, colleague.email, true)
    for (let i = 0; i < 2; i++)
      expect((await colleague.agent.get('/dashboard').expect(200)).text).toContain(FORMS.lookup)
    const page = (await admin.get('/admin/connections').expect(200)).text
    const remove = /action="(\/admin\/connections\/sms77\/access\/[a-f0-9]+\/remove)"/.exec(page)![1]!
    expect((await post(admin, remove, {}, '/admin/connections')).status).toBe(303)
    for (let i = 0; i < 2; i++) {
      const after = (await colleague.agent.get('/dashboard').expect(200)).text
      for (const form of Object.values(FORMS)) expect(after).not.toContain(form)
      expect(after).not.toContain('Shared by')
    }
    const gone = await post(colleague.agent, '/shared/sms77/status', { id: '123' })
    expect(gone.status).toBe(404)
    expect(calls('lookup')).toBe(before)
  })
})
