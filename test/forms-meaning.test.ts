/**
 * Issue 29 item 4, forms that do what people mean: a re-invitation says when it changes the
 * role, the current password is no new one, /forgot checks the address's form, one display
 * rule for names, a webhook that can never be delivered to is warned about, the journal says
 * where it cut a text.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfFrom, csrfOf, signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import { COMMANDS } from '../src/ops/cli-commands.js'
import { clip } from '../src/providers/sms77/panel-values.js'

let t: TestApp
let open: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'forms-meaning' })
  open = await startTestApp({ name: 'forms-meaning-open', env: { WEBHOOK_ALLOW_PRIVATE: '1' } })
})
afterAll(async () => {
  await t.close()
  await open.close()
})

const flashes = (html: string) =>
  [...html.matchAll(/<p class="flash (\w+)"[^>]*>([^<]+)<\/p>/g)].map((m) => [m[1], m[2]])

describe('forms that do what people mean (issue 29)', () => {
  it('says so when a re-invitation changes the role of the pending one', async () => {
    const { agent } = await signUp(t.app)
    const invite = async (role: string) =>
      agent
        .post('/admin/users/invite')
        .type('form')
        .send({ _csrf: await csrfOf(agent, '/admin/users'), email: 'Again@Example.test', role })
        .expect(303)
    await invite('support')
    expect(flashes((await agent.get('/admin/users')).text)).toEqual([
      ['info', expect.stringContaining('again@example.test')],
    ])
    await invite('member')
    const page = (await agent.get('/admin/users')).text
    expect(flashes(page)[1]).toEqual([
      'info',
      'The new invitation of again@example.test gives the role member; the one it replaced gave support. ' +
        'To keep support, send it again with that role.',
    ])
    await invite('member')
    expect(flashes((await agent.get('/admin/users')).text)).toHaveLength(1)
  })

  it('refuses the current password as the new one', async () => {
    const { agent, password } = await signUp(t.app)
    const res = await agent
      .post('/account')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/account'), currentPassword: password, newPassword: password })
      .expect(400)
    expect(res.text).toContain('Choose a new password that differs from your current one.')
  })

  it('checks the address’s form on /forgot without telling whether an account has it', async () => {
    const visitor = supertest.agent(t.app)
    const page = await visitor.get('/forgot').expect(200)
    const ask = (email: string) =>
      visitor
        .post('/forgot')
        .type('form')
        .send({ _csrf: csrfFrom(page.text), email })
    const bad = await ask('not-an-email').expect(400)
    expect(bad.text).toContain('Enter a valid email address.')
    expect(bad.text).not.toContain('on its way')
    const nobody = await ask('nobody-here@example.test').expect(200)
    const { email } = await signUp(t.app)
    const somebody = await ask(email).expect(200)
    const said = (html: string) => flashes(html).map(([, text]) => text)
    expect(said(nobody.text)).toEqual(said(somebody.text))
  })

  it('refuses direction-changing characters in organisation, connection and API key names alike', async () => {
    const visitor = supertest.agent(t.app)
    const page = await visitor.get('/signup').expect(200)
    const refused = await visitor
      .post('/signup')
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        organization: 'Acme\u202Egpj.exe',
        email: 'rtl@example.test',
        password: 'correct horse battery',
      })
      .expect(400)
    expect(refused.text).toContain(
      'control and direction-changing characters (such as U+202E) are not allowed',
    )
    expect(COMMANDS['create-tenant'].flags.safeParse({ name: 'Acme\u202Egpj' }).success).toBe(false)
    expect(COMMANDS['create-tenant'].flags.safeParse({ name: 'Bäckerei Müller' }).success).toBe(true)
    const { agent } = await signUp(t.app)
    const key = await agent
      .post('/admin/api-keys')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/admin/api-keys'), name: 'ops\u200Bbot', scopes: 'read' })
    expect(key.text).toContain('direction-changing characters')
  })

  const saved = ['info', expect.stringMatching(/^Webhook saved\./)]
  it('warns at save time about a webhook address Switchboard will never deliver to', async () => {
    const save = async (app: TestApp, agent: supertest.Agent, url: string) => {
      await agent
        .post('/admin/webhook')
        .type('form')
        .send({ _csrf: await csrfOf(agent, '/admin/credentials'), url, secret: 'a signing secret of 16+' })
        .expect(303)
      return flashes((await agent.get('/admin/credentials')).text)
    }
    const { agent } = await signUp(t.app)
    const warning = expect.stringContaining('Switchboard will not deliver to it')
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://[::1]/hook',
      'http://10.1.2.3/hook',
      'http://localhost/x',
    ])
      expect(await save(t, agent, url), url).toEqual([['error', warning]])
    expect(await save(t, agent, 'https://203.0.113.9/hook')).toEqual([saved])
    const allowed = await signUp(open.app)
    expect(await save(open, allowed.agent, 'http://127.0.0.1:9/hook')).toEqual([saved])
  })

  it('ends a journal text cut at 80 characters with an ellipsis', async () => {
    expect(clip('short', 80)).toBe('short')
    expect(clip('x'.repeat(80), 80)).toBe('x'.repeat(80))
    expect(clip('y'.repeat(81), 80)).toBe(`${'y'.repeat(79)}…`)
    const { agent } = await signUp(t.app)
    await connectSms77(t, agent, ['journal', 'sms'])
    const long = `${'Long message '.repeat(10)}END`
    await agent
      .post('/connections/sms77/sms')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/account'), to: '+491701234567', text: long })
      .expect(303)
    const page = (await agent.get('/dashboard').expect(200)).text
    expect(page).toContain(`${clip(long, 80)}</td>`)
    expect(clip(long, 80).endsWith('…')).toBe(true)
    expect(page).not.toContain('END</td>')
  })
})
