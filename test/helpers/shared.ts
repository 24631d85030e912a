import { expect } from 'vitest'
import { csrfOf, type Agent } from './app.js'
import { pathOf, pressConsent } from './consent.js'

/** An admin connects sms77 for the organisation through /admin/connections and the consent page. */
export async function connectShared(admin: Agent, scopes = ['balance', 'sms']): Promise<void> {
  const csrf = await csrfOf(admin, '/admin/connections')
  const res = await admin
    .post('/admin/connections/sms77/connect')
    .type('form')
    .send(`_csrf=${encodeURIComponent(csrf)}&${scopes.map((s) => `scope=${s}`).join('&')}`)
    .expect(303)
  const consent = await pressConsent(res.headers.location!, 'Allow')
  await admin.get(pathOf(consent.location)).expect(303).expect('location', '/admin/connections')
}

/** A form POST with the CSRF token of `page`; resolves to the response. */
export async function postForm(
  agent: Agent,
  path: string,
  form: Record<string, string>,
  page = '/dashboard',
) {
  const csrf = await csrfOf(agent, page)
  return agent
    .post(path)
    .type('form')
    .send({ _csrf: csrf, ...form })
}

/** Grants `email` access to the organisation's sms77 connection. */
export async function grantShared(
  admin: Agent,
  email: string,
  maySend: boolean,
  dailyLimit = '',
): Promise<void> {
  const form: Record<string, string> = { email, dailyLimit }
  if (maySend) form.maySend = 'on'
  const res = await postForm(admin, '/admin/connections/sms77/access', form, '/admin/connections')
  expect(res.status, res.text.slice(0, 300)).toBe(303)
}
