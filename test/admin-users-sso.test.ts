/**
 * Issue 23/29: with Require single sign-on, a password set on /admin/users for a person of
 * that domain could never be used (sign-in refuses it; only admins keep password sign-in).
 * The form says so and refuses it, pointing at the invitation, in English and German.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BASE_URL, csrfFrom, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { startIdp, type RunningIdp, saveSso } from './helpers/oidc-idp.js'

const CLIENT = {
  clientId: 'switchboard-users',
  clientSecret: 'users-idp-secret-9c1d',
  redirectUris: [`${BASE_URL}/sso/callback`],
}
const D = 'acme-users-sso.test'

let t: TestApp
let idp: RunningIdp
let admin: Agent
let tenantId: string
beforeAll(async () => {
  idp = await startIdp({ clients: [CLIENT], people: [] })
  t = await startTestApp({ name: 'admin-users-sso' })
  admin = (await signUp(t.app, 'Acme Users SSO', `boss@${D}`)).agent
  tenantId = (await t.services.users.findForLogin(`boss@${D}`))!.user.tenantId
  await saveSso(admin, {
    issuer: idp.issuer,
    clientId: CLIENT.clientId,
    clientSecret: CLIENT.clientSecret,
    domains: D,
    required: true,
  })
})
afterAll(async () => {
  await t.close()
  await idp.close()
})

async function addUser(agent: Agent, email: string, role: string, lang = 'en') {
  const page = await agent.get('/admin/users').set('Accept-Language', lang).expect(200)
  return agent
    .post('/admin/users')
    .set('Accept-Language', lang)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), email, password: 'a long enough password', role })
}

const exists = async (email: string) => Boolean(await t.services.users.findForLogin(email))
const fieldError = (html: string) => /<p class="field-error" id="password-error">([^<]+)<\/p>/.exec(html)?.[1]

describe('Add a user with a password, when single sign-on is required', () => {
  it('says beside the form which domains sign in through single sign-on', async () => {
    const en = await admin.get('/admin/users').set('Accept-Language', 'en').expect(200)
    expect(en.text).toContain(
      `<p class="hint" id="sso-password-notice">This organisation requires single sign-on for ${D}. Add those people with Send invitation`,
    )
    const de = await admin.get('/admin/users').set('Accept-Language', 'de').expect(200)
    expect(de.text).toContain(
      `<p class="hint" id="sso-password-notice">Diese Organisation verlangt für ${D} Single Sign-on.`,
    )
  })

  it('refuses the password for a member or support person of the domain, and suggests the invitation', async () => {
    const en = await addUser(admin, `member@${D}`, 'member')
    expect(en.status).toBe(400)
    expect(fieldError(en.text)).toBe(
      `This organisation requires single sign-on for ${D}: a password would never let this person in, so none is set. Send them an invitation instead (Invite someone, above): they join with the role you pick and sign in with Continue with single sign-on. Only admins keep password sign-in.`,
    )
    expect(en.text).toContain(`value="member@${D}"`) // the form keeps what was typed
    const de = await addUser(admin, `Support@${D.toUpperCase()}`, 'support', 'de')
    expect(de.status).toBe(400)
    expect(fieldError(de.text)).toContain(
      `Diese Organisation verlangt für ${D} Single Sign-on: Mit einem Passwort könnte sich diese Person nie anmelden, daher wird keines gesetzt. Senden Sie stattdessen eine Einladung`,
    )
    expect(await exists(`member@${D}`)).toBe(false)
    expect(await exists(`support@${D}`)).toBe(false)
    const audit = await t.services.audit.page(tenantId, 50)
    expect(audit.entries.some((e) => e.action === 'admin.user_added')).toBe(false)
  })

  it('still adds admins of the domain (their way back in) and people of other domains', async () => {
    expect((await addUser(admin, `second-admin@${D}`, 'admin')).status).toBe(303)
    expect((await addUser(admin, 'contractor@elsewhere-users.test', 'member')).status).toBe(303)
    expect(await exists(`second-admin@${D}`)).toBe(true)
    expect(await exists('contractor@elsewhere-users.test')).toBe(true)
  })

  it('the invitation it points at can be sent to the same person', async () => {
    const page = await admin.get('/admin/users').expect(200)
    await admin
      .post('/admin/users/invite')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email: `member@${D}`, role: 'support' })
      .expect(303)
    const after = await admin.get('/admin/users').expect(200)
    expect(after.text).toMatch(new RegExp(`<td data-label="Email">member@${D.replace(/\./g, '\\.')}</td>`))
  })

  it("does not touch another organisation that adds someone with that domain (the rule is the domain's own organisation's)", async () => {
    const other = (await signUp(t.app, 'Other Users Org')).agent
    const page = await other.get('/admin/users').expect(200)
    expect(page.text).not.toContain('sso-password-notice')
    expect((await addUser(other, `guest@${D}`, 'member')).status).toBe(303)
  })
})
