/**
 * Issue 16 item 6, the copy that read wrong: a denial written for people that keeps the
 * ticked permissions, a "signed out" message, the nav marking its page, and the password
 * hint once.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfFrom, csrfOf, signUp, startTestApp, uniqueEmail, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { beginSms77 } from './helpers/flows.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'copy-polish' })
})
afterAll(() => t.close())

const checked = (html: string) =>
  [...html.matchAll(/<input type="checkbox" name="scope" value="([a-z_]+)" checked>/g)].map((m) => m[1])

describe('copy and forms that read right (issue 16)', () => {
  it('after Deny says so in plain words and ticks the same permissions again', async () => {
    const { agent } = await signUp(t.app)
    const authorize = await beginSms77(agent, ['lookup', 'voice', 'status'])
    const consent = await pressConsent(authorize.toString(), 'Deny')
    await agent.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
    const page = (await agent.get('/dashboard').expect(200)).text
    expect(page).toContain('Access denied: Deny was pressed at sms77, so nothing was connected.')
    expect(page).not.toContain('your application')
    expect(checked(page)).toEqual(['lookup', 'status', 'voice'])
    // Once: the next page offers the usual choice again.
    expect(checked((await agent.get('/dashboard').expect(200)).text)).toEqual([
      'analytics',
      'balance',
      'journal',
      'sms',
    ])
  })

  it('says "signed out" after Log out', async () => {
    const { agent } = await signUp(t.app)
    const out = await agent
      .post('/logout')
      .type('form')
      .send({ _csrf: await csrfOf(agent) })
      .expect(303)
    const login = await agent.get(out.headers.location!).expect(200)
    expect(login.text).toContain('role="status">You are signed out.')
    expect((await agent.get('/login').expect(200)).text).not.toContain('You are signed out.')
  })

  it('marks the current page in the nav', async () => {
    const { agent } = await signUp(t.app)
    const current = (html: string) => [...html.matchAll(/aria-current="page">([^<]+)</g)].map((m) => m[1])
    expect(current((await agent.get('/dashboard').expect(200)).text)).toEqual(['Dashboard'])
    expect(current((await agent.get('/admin/users').expect(200)).text)).toEqual(['Users'])
    expect(current((await agent.get('/account').expect(200)).text)).toEqual([])
  })

  it('shows the password rule once: as a hint, or as the error when it was broken', async () => {
    const agent = supertest.agent(t.app)
    const form = await agent.get('/signup').expect(200)
    expect(form.text.match(/10 characters/g)).toHaveLength(1)
    const failed = await agent
      .post('/signup')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), organization: 'Acme', email: uniqueEmail(), password: 'short' })
      .expect(400)
    expect(failed.text.match(/10 characters/g)).toEqual(['10 characters'])
    expect(failed.text).toContain('Use at least 10 characters.')
    expect(failed.text).toContain('aria-describedby="password-error"')
  })
})
