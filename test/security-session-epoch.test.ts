/**
 * Issue 28, finding 2: a password reset or change ends sessions older than the session
 * index's 16 hours too. The index of a person's sessions expires while sessions slide, so an
 * old session is one the index no longer lists: each test removes the index entry, exactly
 * what its expiry does, and checks that the old session still ends (normal chain and the
 * warm dashboard's own state read).
 */
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfFrom, csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { linkIn, startSmtpSink } from './helpers/smtp-sink.js'
import { userSessionsKey } from '../src/redis/keys.js'

let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>
beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({ name: 'session-epoch', env: { SMTP_URL: sink.url } })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

async function signIn(email: string, password: string): Promise<Agent> {
  const agent = supertest.agent(t.app)
  const page = await agent.get('/login')
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password })
    .expect(303)
  return agent
}

/** As after 16 hours: the index no longer lists the person's sessions (they still slide). */
async function forgetIndex(email: string): Promise<void> {
  const { user } = (await t.services.users.findForLogin(email))!
  const key = userSessionsKey(user.tenantId, user.id)
  expect(await t.redis.exists(key)).toBe(1)
  await t.redis.del(key)
}

async function signedIn(agent: Agent, path: string): Promise<boolean> {
  const res = await agent.get(path)
  if (res.status === 200) return true
  expect(res.status).toBe(303)
  expect(res.headers.location).toBe('/login')
  return false
}

describe('sessions valid after a password reset or change', () => {
  it('a reset ends a session the index forgot, on the warm dashboard and on every other page', async () => {
    const { agent: old, email } = await signUp(t.app, 'Epoch Reset Org')
    const older = await signIn(email, 'correct horse battery')
    expect(await signedIn(old, '/dashboard')).toBe(true)
    expect(await signedIn(old, '/dashboard')).toBe(true) // the page is now kept: the warm path
    await forgetIndex(email)

    const forgot = supertest.agent(t.app)
    const page = await forgot.get('/forgot')
    await forgot
      .post('/forgot')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email })
      .expect(200)
    const path = new URL(linkIn(await sink.mailTo(email), '/reset/')).pathname
    const form = await forgot.get(path).expect(200)
    await forgot
      .post(path)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), password: 'a new password after reset' })
      .expect(303)

    expect(await signedIn(old, '/dashboard'), 'warm dashboard').toBe(false)
    expect(await signedIn(older, '/account'), 'full chain').toBe(false)
    // The new password signs in, and that session lasts.
    const fresh = await signIn(email, 'a new password after reset')
    expect(await signedIn(fresh, '/dashboard')).toBe(true)
    expect(await signedIn(fresh, '/account')).toBe(true)
  })

  it('a change ends every other session the index forgot, and keeps the one that changed it', async () => {
    const { agent: other, email } = await signUp(t.app, 'Epoch Change Org')
    const changer = await signIn(email, 'correct horse battery')
    expect(await signedIn(other, '/dashboard')).toBe(true)
    await forgetIndex(email)
    await changer
      .post('/account')
      .type('form')
      .send({
        _csrf: await csrfOf(changer, '/account'),
        currentPassword: 'correct horse battery',
        newPassword: 'a changed password here',
      })
      .expect(303)
    expect(await signedIn(changer, '/account')).toBe(true)
    expect(await signedIn(changer, '/dashboard')).toBe(true)
    expect(await signedIn(other, '/dashboard'), 'warm dashboard').toBe(false)
  })
})
