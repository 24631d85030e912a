/**
 * Issue 28, finding 7: two reset requests at once leave one live link; invitations end
 * with the admin who sent them (removed or demoted); guesses of the current password on
 * /account are counted like sign-in attempts.
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  csrfFrom,
  csrfOf,
  signUp,
  startTestApp,
  uniqueEmail,
  type Agent,
  type TestApp,
} from './helpers/app.js'
import { addUserAndSignIn } from './helpers/users.js'
import { linkIn, startSmtpSink } from './helpers/smtp-sink.js'

let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>
beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({ name: 'links-guesses', env: { SMTP_URL: sink.url } })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

const live = async (path: string) => (await supertest(t.app).get(path)).status === 200

describe('reset links', () => {
  it('two /forgot at once leave exactly one live link', async () => {
    const { email } = await signUp(t.app, 'Forgot Race Org')
    const ask = async (ip: string) => {
      const agent = supertest.agent(t.app)
      const page = await agent.get('/forgot')
      return agent
        .post('/forgot')
        .set('X-Forwarded-For', ip)
        .type('form')
        .send({ _csrf: csrfFrom(page.text), email })
    }
    const answers = await Promise.all([ask('198.51.100.1'), ask('198.51.100.2')])
    expect(answers.map((a) => a.status)).toEqual([200, 200])
    const links = await Promise.all([sink.mailTo(email, 1), sink.mailTo(email, 2)])
    const paths = links.map((m) => new URL(linkIn(m, '/reset/')).pathname)
    expect(new Set(paths).size).toBe(2)
    expect((await Promise.all(paths.map(live))).filter(Boolean)).toHaveLength(1)
  })

  it('many links issued at once for one person: only one works', async () => {
    const { email } = await signUp(t.app, 'Forgot Race Many')
    const { user } = (await t.services.users.findForLogin(email))!
    const owner = { tenantId: user.tenantId, userId: user.id }
    const tokens = await Promise.all(Array.from({ length: 8 }, () => t.services.people.resets.issue(owner)))
    const works = await Promise.all(tokens.map((tk) => t.services.people.resets.peek(tk)))
    expect(works.filter(Boolean)).toHaveLength(1)
    const winner = tokens[works.findIndex(Boolean)]!
    // Used once, then gone; the others never come back.
    expect(await t.services.people.resets.take(winner)).toEqual(owner)
    for (const tk of tokens) expect(await t.services.people.resets.take(tk)).toBeUndefined()
  })
})

describe("invitations end with their admin's rights", () => {
  async function invite(admin: Agent, email: string) {
    await admin
      .post('/admin/users/invite')
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/users'), email, role: 'admin' })
      .expect(303)
    return new URL(linkIn(await sink.mailTo(email), '/invite/')).pathname
  }

  it('cancels the pending invitations of an admin who is demoted, and of one who is removed', async () => {
    const { agent: owner } = await signUp(t.app, 'Invites End Org')
    const second = await addUserAndSignIn(t.app, owner, 'admin')
    const third = await addUserAndSignIn(t.app, owner, 'admin')
    const bySecond = await invite(second.agent, uniqueEmail('by-second'))
    const byThird = await invite(third.agent, uniqueEmail('by-third'))
    const byOwner = await invite(owner, uniqueEmail('by-owner'))
    expect(await live(bySecond)).toBe(true)
    expect(await live(byThird)).toBe(true)

    const { user: s } = (await t.services.users.findForLogin(second.email))!
    const { user: th } = (await t.services.users.findForLogin(third.email))!
    await owner
      .post(`/admin/users/${s.id}/role`)
      .type('form')
      .send({ _csrf: await csrfOf(owner, '/admin/users'), role: 'member' })
      .expect(303)
    await owner
      .post(`/admin/users/${th.id}/remove`)
      .type('form')
      .send({ _csrf: await csrfOf(owner, '/admin/users') })
      .expect(303)
    expect(await live(bySecond), 'invitation of the demoted admin').toBe(false)
    expect(await live(byThird), 'invitation of the removed admin').toBe(false)
    expect(await live(byOwner), 'invitation of an admin who stays').toBe(true)
  })
})

describe('current password on /account', () => {
  it('counts wrong guesses like sign-in attempts: 400, then 429 with Retry-After, even for the right one', async () => {
    const { agent, password } = await signUp(t.app, 'Guess Org')
    const change = async (currentPassword: string) =>
      agent
        .post('/account')
        .type('form')
        .send({
          _csrf: await csrfOf(agent, '/account'),
          currentPassword,
          newPassword: 'another long password',
        })
    for (let i = 0; i < 5; i++) expect((await change(`wrong guess ${i}`)).status).toBe(400)
    const refused = await change(password)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(refused.text).toContain('Too many')
  })

  it('a right current password is not held back by earlier single mistakes', async () => {
    const { agent, password } = await signUp(t.app, 'Guess Org Two')
    const change = async (currentPassword: string, newPassword: string) =>
      agent
        .post('/account')
        .type('form')
        .send({ _csrf: await csrfOf(agent, '/account'), currentPassword, newPassword })
    expect((await change('not it', 'another long password')).status).toBe(400)
    expect((await change(password, 'another long password')).status).toBe(303)
  })
})
