/**
 * Issue 29 item 2, words that are true: Nexmo's disconnect says what really happens, a
 * banner in the reader's language, error pages in plain words with the right way back,
 * audit entries as sentences in the reader's language.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { AUDIT_ACTIONS, auditSentenceKey } from '../src/audit/audit-words.js'
import { translator } from '../src/i18n/catalogue.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'true-words' })
})
afterAll(() => t.close())

const confirmOf = (html: string, provider: string) =>
  new RegExp(`action="/disconnect/${provider}" class="disconnect" data-confirm="([^"]+)"`).exec(html)?.[1]

describe('words that are true (issue 29)', () => {
  it('says Nexmo cannot be revoked, while sms77 is', async () => {
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent, ['balance'])
    await connectNexmo(agent)
    const page = (await agent.get('/dashboard').expect(200)).text
    expect(confirmOf(page, 'nexmo')).toBe(
      'Disconnect Nexmo? Switchboard deletes its access token and forgets the account. Nexmo has no way to ' +
        'revoke an access from outside, so nothing changes in your Nexmo account.',
    )
    expect(confirmOf(page, 'sms77')).toContain('Switchboard revokes its access')
  })

  it('shows a broken connection’s banner in the reader’s language', async () => {
    const { agent, email } = await signUp(t.app)
    await connectSms77(t, agent, ['balance'])
    const user = (await t.services.users.findForLogin(email))!.user
    const ref = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' as const }
    await t.services.notifier.statusChanged(ref, 'connected', 'needs_reconnect')
    const page = (await agent.get('/dashboard').set('Accept-Language', 'de').expect(200)).text
    expect(page).toContain('Ihre sms77-Verbindung funktioniert nicht mehr und muss neu verbunden werden.')
    expect(page).not.toContain('stopped working')
  })

  it('shows error pages in plain words, with sign-in as the way back for visitors', async () => {
    const visitor = supertest.agent(t.app)
    await visitor.get('/login').expect(200)
    const expired = await visitor
      .post('/login')
      .type('form')
      .send({ _csrf: 'stale', email: 'a@example.test', password: 'x' })
      .expect(403)
    expect(expired.text).toContain('<h1>This form has expired</h1>')
    expect(expired.text).toContain('<a href="/login">Go to sign-in</a>')
    expect(expired.text).not.toContain('Back to the dashboard')
    const visible = expired.text.replace(/<[^>]+>/g, ' ')
    expect(visible).not.toMatch(/csrf_failed|Error 403/)

    const lost = await visitor.get('/nope').set('Accept-Language', 'de').expect(404)
    expect(lost.text).toContain('<a href="/login">Zur Anmeldung</a>')
    const { agent } = await signUp(t.app)
    const inside = await agent.get('/nope').expect(404)
    expect(inside.text).toContain('<a href="/dashboard">Back to the dashboard</a>')
    expect(inside.text.replace(/<[^>]+>/g, ' ')).not.toContain('not_found')
  })

  it('shows audit entries as sentences in the reader’s language, never their codes', async () => {
    const { agent } = await signUp(t.app)
    await agent
      .post('/admin/users/invite')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/admin/users'), email: 'new.person@example.test', role: 'support' })
      .expect(303)
    const german = (await agent.get('/admin/audit').set('Accept-Language', 'de').expect(200)).text
    expect(german).toContain('>Hat eine Person eingeladen</td>')
    expect(german).not.toContain('admin.user_invited')
    const english = (await agent.get('/admin/audit').expect(200)).text
    expect(english).toContain('>Invited a person</td>')
  })

  it('has a sentence for every audit action in both languages', () => {
    for (const lang of ['en', 'de'] as const) {
      const tr = translator(lang)
      for (const action of AUDIT_ACTIONS) {
        const said = tr(auditSentenceKey(action))
        expect(said, `${lang} ${action}`).not.toContain('auditSentence')
        expect(said).toMatch(/^[A-ZÄÖÜ]/)
      }
      expect(tr(auditSentenceKey('future.thing'))).toBe(
        lang === 'en' ? 'Another action' : 'Eine andere Aktion',
      )
    }
  })
})
