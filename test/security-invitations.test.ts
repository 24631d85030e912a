/**
 * Issue 28, finding 3: the invitation form is neither an account oracle nor a mail relay.
 * The admin sees the same for every address (an address that has an account gets a note
 * mailed to its owner instead, with no link and no organisation name); invitations and
 * added users are limited per admin and per organisation; a new organisation sends less.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, uniqueEmail, type Agent, type TestApp } from './helpers/app.js'
import { addUserAndSignIn } from './helpers/users.js'
import { linkIn, startSmtpSink } from './helpers/smtp-sink.js'
import { tenantMetaKey } from '../src/redis/keys.js'

let t: TestApp
let sink: Awaited<ReturnType<typeof startSmtpSink>>
beforeAll(async () => {
  sink = await startSmtpSink()
  t = await startTestApp({
    name: 'invite-abuse',
    env: { SMTP_URL: sink.url },
    deps: {
      loginLimits: {
        perIp: { points: 1000, durationSec: 60 },
        perAccount: { points: 5, durationSec: 60 },
        signupPerIp: { points: 10_000, durationSec: 60 },
        invites: {
          perAdmin: { points: 3, durationSec: 3600 },
          perOrganisation: { points: 5, durationSec: 86_400 },
          perNewOrganisation: { points: 3, durationSec: 86_400 },
          newForSec: 7 * 86_400,
        },
      },
    },
  })
})
afterAll(async () => {
  await t.close()
  await sink.close()
})

async function invite(admin: Agent, email: string) {
  await admin
    .post('/admin/users/invite')
    .type('form')
    .send({ _csrf: await csrfOf(admin, '/admin/users'), email, role: 'member' })
    .expect(303)
  return (await admin.get('/admin/users')).text
}
/** The page as the admin sees it, with the address and the per-request bits taken out. */
const seen = (html: string, email: string) =>
  html
    .replaceAll(email, '<address>')
    .replace(/name="_csrf" value="[^"]+"/g, '')
    .replace(/invites\/[a-f0-9]{16}\//g, 'invites/<id>/')
    .replace(/<time[^>]*>[^<]*<\/time>/g, '')
    .replace(/\d{4}-\d\d-\d\d[ T]\d\d:\d\d/g, '<when>')
const flashOf = (html: string) => /class="flash[^"]*"[^>]*>([^<]+)</.exec(html)?.[1]?.trim()

/** An organisation as if made long ago. */
async function ageOrganisation(email: string) {
  const { user } = (await t.services.users.findForLogin(email))!
  await t.redis.hset(tenantMetaKey(user.tenantId), 'createdAt', String(Date.now() - 30 * 86_400_000))
}

describe('the invitation form tells nothing about other accounts', () => {
  it('answers an address with an account exactly as a new one, and mails its owner a note instead', async () => {
    const { email: taken } = await signUp(t.app, 'Somebody Else Org')
    const { agent: admin, email: adminEmail } = await signUp(t.app, 'Evil <b>Corp</b> visit http://evil.test')
    const fresh = uniqueEmail('fresh')
    const forTaken = await invite(admin, taken)
    const forFresh = await invite(admin, fresh)
    expect(flashOf(forTaken)).toBe(`Invitation sent to ${taken} (member).`)
    expect(flashOf(forFresh)).toBe(`Invitation sent to ${fresh} (member).`)
    // Both pending, each row alike but for its address.
    const rowOf = (html: string, email: string) =>
      seen(
        /<tr>(?:(?!<\/tr>)[^])*?<\/tr>/g.exec(html.slice(html.lastIndexOf('<tr', html.indexOf(email))))![0],
        email,
      )
    const page = (await admin.get('/admin/users')).text
    expect(rowOf(page, taken)).toContain('<address>')
    expect(rowOf(page, taken)).toBe(rowOf(page, fresh))

    const note = await sink.mailTo(taken)
    expect(note.subject).toBe('Your Switchboard account')
    expect(note.text).toContain('already has an account')
    for (const part of [note.text, note.html]) {
      expect(part).not.toContain('/invite/')
      expect(part).not.toContain('Evil')
      expect(part).not.toContain('evil.test')
      expect(part).not.toContain(adminEmail)
    }
    expect(linkIn(await sink.mailTo(fresh), '/invite/')).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/)
  })
})

describe('invitations and added users are limited', () => {
  it('per admin, then per organisation, counting users added with a password too', async () => {
    const { agent: first, email } = await signUp(t.app, 'Established Org')
    await ageOrganisation(email)
    const second = await addUserAndSignIn(t.app, first, 'admin') // 1 of the first admin's 3
    for (let i = 0; i < 2; i++)
      expect(flashOf(await invite(first, uniqueEmail('ok')))).toMatch(/^Invitation sent/)
    const refusedAddress = uniqueEmail('refused')
    const refused = await invite(first, refusedAddress)
    expect(flashOf(refused)).toMatch(
      /^Not sent: You have invited or added many people in a short time\. Try again in \d+ min/,
    )
    expect(refused).not.toContain(`Invitation sent to ${refusedAddress}`)
    // The second admin has their own share, until the organisation's 5 are used.
    for (let i = 0; i < 2; i++)
      expect(flashOf(await invite(second.agent, uniqueEmail('ok2')))).toMatch(/^Invitation sent/)
    const added = await second.agent
      .post('/admin/users')
      .type('form')
      .send({
        _csrf: await csrfOf(second.agent, '/admin/users'),
        email: uniqueEmail('added'),
        password: 'a long enough password',
        role: 'member',
      })
    expect(added.status).toBe(429)
    expect(added.headers['retry-after']).toMatch(/^\d+$/)
    expect(added.text).toContain('Your organisation has invited or added many people today')
    await new Promise((r) => setTimeout(r, 100)) // mail is sent after the answer
    expect(sink.mails.some((m) => m.to === refusedAddress)).toBe(false)
  })

  it('caps a new organisation lower than an established one', async () => {
    const { agent: first } = await signUp(t.app, 'Brand New Org')
    const second = await addUserAndSignIn(t.app, first, 'admin') // 1 of the new organisation's 3
    expect(flashOf(await invite(first, uniqueEmail('new')))).toMatch(/^Invitation sent/)
    expect(flashOf(await invite(second.agent, uniqueEmail('new2')))).toMatch(/^Invitation sent/)
    expect(flashOf(await invite(second.agent, uniqueEmail('new2')))).toMatch(
      /^Not sent: Your organisation has invited or added many people today/,
    )
  })

  it('says it in German too', async () => {
    const { agent } = await signUp(t.app, 'Deutsche Org')
    for (let i = 0; i < 3; i++) await invite(agent, uniqueEmail('de'))
    const page = await agent
      .post('/admin/users/invite')
      .set('Accept-Language', 'de')
      .type('form')
      .send({ _csrf: await csrfOf(agent, '/admin/users'), email: uniqueEmail('de'), role: 'member' })
      .expect(303)
    expect(page.headers.location).toBe('/admin/users')
    const shown = await agent.get('/admin/users').set('Accept-Language', 'de')
    expect(flashOf(shown.text)).toMatch(/Sie haben in kurzer Zeit viele Personen eingeladen oder hinzugefügt/)
  })
})
