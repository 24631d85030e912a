/**
 * Issue 28, finding 1: one-time link tokens never reach a log line. The request log and the
 * error handler name the matched route's pattern (`/reset/:token`), never the path as sent,
 * and keep only harmless query keys; a path no route matches is not written at all.
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import supertest from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfFrom, csrfOf, signUp, startTestApp, uniqueEmail, type TestApp } from './helpers/app.js'
import { linkIn, startSmtpSink } from './helpers/smtp-sink.js'

let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>
beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({ name: 'log-tokens', env: { SMTP_URL: sink.url } })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

interface Line {
  msg: string
  req?: { id: string; method: string; path: string; query?: Record<string, string> }
  path?: string
}
const lines = () => t.logs.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Line)
const flushed = () => sleep(30) // lines are written when each response closes

/** Every way a link is used: the page, a bad form, a form without CSRF (the error handler), the use. */
async function useLink(path: string, field: Record<string, string>) {
  const agent = supertest.agent(t.app)
  const page = await agent.get(path).expect(200)
  await agent
    .post(path)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), password: 'short' })
    .expect(400)
  await agent.post(path).type('form').send({ password: 'no csrf token here' }).expect(403)
  return agent
    .post(path)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), ...field })
}

describe('link tokens stay out of the logs', () => {
  it('writes /reset/:token and /invite/:token, never the tokens, from the request log and the error handler', async () => {
    const { agent: admin, email } = await signUp(t.app, 'Log Tokens Org')
    const forgot = supertest.agent(t.app)
    const page = await forgot.get('/forgot')
    await forgot
      .post('/forgot')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email })
      .expect(200)
    const reset = new URL(linkIn(await sink.mailTo(email), '/reset/')).pathname
    const invitee = uniqueEmail('log-invitee')
    await admin
      .post('/admin/users/invite')
      .type('form')
      .send({ _csrf: await csrfOf(admin, '/admin/users'), email: invitee, role: 'admin' })
      .expect(303)
    const invite = new URL(linkIn(await sink.mailTo(invitee), '/invite/')).pathname

    const resetToken = reset.split('/').pop()!
    const inviteToken = invite.split('/').pop()!
    expect((await useLink(reset, { password: 'a brand new password' })).status).toBe(303)
    expect((await useLink(invite, { password: 'my invited password' })).status).toBe(303)
    // Used up: the same links answer 404 and are still not written.
    await supertest(t.app).get(reset).expect(404)
    await supertest(t.app).get(invite).expect(404)
    await flushed()

    const logs = t.logs.join('\n')
    for (const token of [resetToken, inviteToken]) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(logs.includes(token), 'a link token appears in the logs').toBe(false)
      expect(logs.includes(token.slice(0, 16)), 'part of a link token appears in the logs').toBe(false)
    }
    const paths = new Set(lines().flatMap((l) => [l.req?.path, l.path]))
    expect(paths).toContain('/reset/:token')
    expect(paths).toContain('/invite/:token')
    // The forms sent without a CSRF token were refused before routing: the error handler
    // wrote them, as `unmatched`.
    const rejected = lines().filter((l) => l.msg === 'request rejected')
    expect(rejected.length).toBeGreaterThanOrEqual(2)
    expect(new Set(rejected.map((l) => l.path))).toEqual(new Set(['unmatched']))
  })

  it('writes no secret of a token path (a reconnect link, an unbuilt one) nor secret query values', async () => {
    const secret = randomBytes(32).toString('base64url')
    const code = randomBytes(16).toString('hex')
    const { agent } = await signUp(t.app, 'Log Tokens Two')
    // Routes now (reconnect links, single sign-on) or not (yet): either way no secret is logged.
    await supertest(t.app).get(`/reconnect/${secret}`).expect(303)
    await supertest(t.app).get(`/sso/callback?code=${code}&state=${secret}`)
    await supertest(t.app).get(`/email/confirm/${secret}?token=${code}`).expect(404)
    await agent.get(`/oauth_redirect?state=${secret}&code=${code}`).expect(400)
    await agent.get(`/oauth1_callback?oauth_token=${secret}&oauth_verifier=${code}`)
    // Harmless query keys stay readable.
    const signedOut = await supertest(t.app)
      .get('/login?signed_out=1&code=' + code)
      .expect(200)
    await flushed()
    const logs = t.logs.join('\n')
    expect(logs.includes(secret)).toBe(false)
    expect(logs.includes(code)).toBe(false)
    const line = lines().find((l) => l.req?.id === signedOut.headers['x-request-id'])!
    expect(line.req).toMatchObject({ path: '/login', query: { signed_out: '1' } })
    expect(lines().some((l) => l.req?.path === 'unmatched')).toBe(true)
  })
})
