import { expect } from 'vitest'
import type { Agent, TestApp } from './app.js'
import { csrfOf } from './app.js'
import { pathOf, pressConsent } from './consent.js'

/** POST /connect/sms77 with these scopes; returns the provider URL the app redirected to. */
export async function beginSms77(agent: Agent, scopes: string[]): Promise<URL> {
  const csrf = await csrfOf(agent)
  const res = await agent
    .post('/connect/sms77')
    .type('form')
    .send(`_csrf=${encodeURIComponent(csrf)}&${scopes.map((s) => `scope=${s}`).join('&')}`)
    .expect(303)
  return new URL(res.headers.location!)
}

/** The whole sms77 connect journey: connect, press Allow at the provider, come back. */
export async function connectSms77(
  t: TestApp,
  agent: Agent,
  scopes = ['balance', 'analytics', 'journal', 'sms'],
): Promise<void> {
  const authorize = await beginSms77(agent, scopes)
  const consent = await pressConsent(authorize.toString(), 'Allow')
  expect(consent.status).toBe(302)
  await agent.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
}

/** Nexmo again, to another of the sandbox's accounts (its form's token taken from /account,
 * since the dashboard would read the provider). */
export async function reconnectNexmo(agent: Agent, account = 'lindqvist'): Promise<void> {
  const csrf = await csrfOf(agent, '/account')
  const res = await agent.post('/connect/nexmo').type('form').send({ _csrf: csrf }).expect(303)
  // Nexmo's answer names the account by its API key.
  const consent = await pressConsent(res.headers.location!, 'Allow', { account })
  await agent.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
}

export async function connectNexmo(agent: Agent): Promise<void> {
  const csrf = await csrfOf(agent)
  const res = await agent.post('/connect/nexmo').type('form').send({ _csrf: csrf }).expect(303)
  const consent = await pressConsent(res.headers.location!, 'Allow')
  expect(consent.status).toBe(302)
  await agent.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
}
