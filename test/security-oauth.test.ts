/**
 * sms77 offers no PKCE, so the OAuth `state` (and Nexmo's request token, which plays the
 * same part in OAuth 1.0a) is the only thing tying a callback to the browser that began
 * the flow. Every way of presenting a state that is not this session's own, live, unused
 * state for this provider must be refused at once, before any code is exchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { beginSms77 } from './helpers/flows.js'
import { keysUnder } from './helpers/redis.js'
import { PENDING_FLOW_TTL_SEC } from '../src/connections/pending-flows.js'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ name: 'sec-oauth' })
})
afterAll(() => t.close())

const counters = () => ({
  codeExchanges: t.sandbox.control.stats.sms77.codeExchanges,
  nexmoAccessTokens: t.sandbox.control.stats.nexmo.accessTokens,
})

async function connectionsOf(email: string): Promise<string[]> {
  const user = (await t.services.users.findForLogin(email))!.user
  const found: string[] = []
  for (const provider of ['sms77', 'nexmo'] as const) {
    if (await t.services.store.get({ tenantId: user.tenantId, userId: user.id, provider }))
      found.push(provider)
  }
  return found
}

/** A signed-in user whose sms77 consent was given: the callback URL is ready to be replayed. */
async function sms77Consented(org = 'OAuth Org'): Promise<{ agent: Agent; email: string; callback: URL }> {
  const { agent, email } = await signUp(t.app, org)
  const authorize = await beginSms77(agent, ['balance'])
  const consent = await pressConsent(authorize.toString(), 'Allow')
  return { agent, email, callback: new URL(consent.location) }
}

async function nexmoConsented(org = 'OAuth Org'): Promise<{ agent: Agent; email: string; callback: URL }> {
  const { agent, email } = await signUp(t.app, org)
  const res = await agent
    .post('/connect/nexmo')
    .type('form')
    .send({ _csrf: await csrfOf(agent) })
    .expect(303)
  const consent = await pressConsent(res.headers.location!, 'Allow')
  return { agent, email, callback: new URL(consent.location) }
}

/** The refusal every bad state gets: a 400 page saying so, nothing exchanged, nothing stored. */
async function expectRefused(agent: Agent, path: string, email: string): Promise<void> {
  const before = counters()
  const res = await agent.get(path).set('Accept', 'text/html')
  expect(res.status).toBe(400)
  expect(res.text).toMatch(/not valid for your session|malformed/)
  expect(counters()).toEqual(before)
  expect(await connectionsOf(email)).toEqual([])
}

describe('sms77 state at /oauth_redirect', () => {
  it('refuses a callback without a state', async () => {
    const { agent, email, callback } = await sms77Consented()
    await expectRefused(agent, `/oauth_redirect?code=${callback.searchParams.get('code')}`, email)
  })

  it('refuses a wrong state, including an empty one and one a byte off', async () => {
    const { agent, email, callback } = await sms77Consented()
    const state = callback.searchParams.get('state')!
    const code = callback.searchParams.get('code')
    const offByOne = state.slice(0, -1) + (state.endsWith('A') ? 'B' : 'A')
    for (const bad of [
      '',
      'x',
      offByOne,
      state + 'A',
      state.toLowerCase() === state ? state.toUpperCase() : state.toLowerCase(),
    ]) {
      await expectRefused(agent, `/oauth_redirect?state=${encodeURIComponent(bad)}&code=${code}`, email)
    }
    // The right one still works afterwards: wrong guesses burn nothing of the owner’s.
    await agent.get(pathOf(callback.toString())).expect(303).expect('location', '/dashboard')
  })

  it('refuses an expired state: flows live 10 minutes in Redis and then are gone', async () => {
    const { agent, email, callback } = await sms77Consented()
    const flows = (await keysUnder(t.prefix)).filter((k) => k.startsWith('flow:'))
    expect(flows.length).toBeGreaterThan(0)
    for (const key of flows) {
      const ttl = await t.redis.ttl(key)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(PENDING_FLOW_TTL_SEC)
      await t.redis.pexpire(key, 1)
    }
    await new Promise((r) => setTimeout(r, 20))
    await expectRefused(agent, pathOf(callback.toString()), email)
  })

  it('refuses a replayed state after a success, and exchanges the code only once', async () => {
    const { agent, email, callback } = await sms77Consented()
    const before = counters()
    await agent.get(pathOf(callback.toString())).expect(303).expect('location', '/dashboard')
    expect(counters().codeExchanges).toBe(before.codeExchanges + 1)
    const user = (await t.services.users.findForLogin(email))!.user
    const stored = await t.services.store.get({ tenantId: user.tenantId, userId: user.id, provider: 'sms77' })
    const res = await agent.get(pathOf(callback.toString())).expect(400)
    expect(res.text).toContain('not valid for your session')
    expect(counters().codeExchanges).toBe(before.codeExchanges + 1)
    expect(
      await t.services.store.get({ tenantId: user.tenantId, userId: user.id, provider: 'sms77' }),
    ).toEqual(stored)
  })

  it('refuses a replayed state after a denial', async () => {
    const { agent, email } = await signUp(t.app)
    const authorize = await beginSms77(agent, ['balance'])
    const denied = await pressConsent(authorize.toString(), 'Deny')
    await agent.get(pathOf(denied.location)).expect(303)
    await expectRefused(agent, pathOf(denied.location), email)
    const code = 'c'.repeat(40)
    await expectRefused(
      agent,
      `/oauth_redirect?state=${new URL(denied.location).searchParams.get('state')}&code=${code}`,
      email,
    )
  })

  it('refuses a state from another session of the same user, and the owner cannot use it afterwards either', async () => {
    const { agent, email, callback } = await sms77Consented()
    const { default: supertest } = await import('supertest')
    const second = supertest.agent(t.app)
    const { csrfFrom } = await import('./helpers/app.js')
    const page = await second.get('/login').expect(200)
    await second
      .post('/login')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), email, password: 'correct horse battery' })
      .expect(303)
    await expectRefused(second, pathOf(callback.toString()), email)
    // Single use: the flow is gone whoever presented it, so a stolen state is worth one failed try.
    await expectRefused(agent, pathOf(callback.toString()), email)
  })

  it('refuses a callback planted by an attacker (OAuth CSRF): the victim is never linked to the attacker’s account', async () => {
    const attacker = await sms77Consented('Attacker Org')
    const victim = await signUp(t.app, 'Victim Org')
    await expectRefused(victim.agent, pathOf(attacker.callback.toString()), victim.email)
    const dash = await victim.agent.get('/dashboard').expect(200)
    expect(dash.text).not.toContain('john.doe@acme.inc')
    expect(dash.text).toContain('No account connected yet')
  })

  it('refuses a Nexmo request token presented as an sms77 state', async () => {
    const { agent, email, callback } = await nexmoConsented()
    const requestToken = callback.searchParams.get('oauth_token')!
    await expectRefused(
      agent,
      `/oauth_redirect?state=${encodeURIComponent(requestToken)}&code=${'c'.repeat(40)}`,
      email,
    )
    // Consumed as well: the Nexmo flow it belonged to cannot finish any more.
    await expectRefused(agent, pathOf(callback.toString()), email)
  })

  it('refuses a denial whose state is not this session’s: nobody can plant messages on a dashboard', async () => {
    const attacker = await sms77Consented('Attacker Org')
    const victim = await signUp(t.app, 'Victim Org')
    const state = attacker.callback.searchParams.get('state')!
    const planted = encodeURIComponent('Your account was suspended, call +1 555 0100')
    await expectRefused(
      victim.agent,
      `/oauth_redirect?state=${state}&error=access_denied&error_description=${planted}`,
      victim.email,
    )
    const dash = await victim.agent.get('/dashboard').expect(200)
    expect(dash.text).not.toContain('suspended')
  })

  it('makes a fresh 32-byte state per flow and keeps it at rest only as a hash', async () => {
    const { agent } = await signUp(t.app)
    const states = new Set<string>()
    for (let i = 0; i < 5; i++) states.add((await beginSms77(agent, ['balance'])).searchParams.get('state')!)
    expect(states.size).toBe(5)
    for (const s of states) expect(Buffer.from(s, 'base64url')).toHaveLength(32)
    const dump = await Promise.all(
      (await keysUnder(t.prefix))
        .filter((k) => k.startsWith('flow:'))
        .map(async (k) => k + (await t.redis.get(k))),
    )
    for (const s of states) expect(dump.join('\n')).not.toContain(s)
  })
})

describe('Nexmo request token at /connect/nexmo/callback', () => {
  it('refuses an unknown token, a replayed one and one from another session', async () => {
    const { agent, email, callback } = await nexmoConsented()
    const verifier = callback.searchParams.get('oauth_verifier')
    await expectRefused(
      agent,
      `/connect/nexmo/callback?oauth_token=${'t'.repeat(32)}&oauth_verifier=${verifier}`,
      email,
    )
    const other = await signUp(t.app)
    await expectRefused(other.agent, pathOf(callback.toString()), other.email)
    // Taken by the failed attempt above: the owner must start again.
    await expectRefused(agent, pathOf(callback.toString()), email)

    const fresh = await nexmoConsented()
    await fresh.agent.get(pathOf(fresh.callback.toString())).expect(303).expect('location', '/dashboard')
    const before = counters()
    await fresh.agent.get(pathOf(fresh.callback.toString())).expect(400)
    expect(counters()).toEqual(before)
  })

  it('refuses an sms77 state presented as a Nexmo request token', async () => {
    const { agent, email, callback } = await sms77Consented()
    const state = callback.searchParams.get('state')!
    await expectRefused(
      agent,
      `/connect/nexmo/callback?oauth_token=${encodeURIComponent(state)}&oauth_verifier=${'v'.repeat(20)}`,
      email,
    )
    // The sms77 flow was taken by that attempt and cannot be finished afterwards.
    await expectRefused(agent, pathOf(callback.toString()), email)
  })

  it('refuses a denial carrying another session’s token', async () => {
    const attacker = await nexmoConsented('Attacker Org')
    const victim = await signUp(t.app, 'Victim Org')
    await expectRefused(
      victim.agent,
      `/connect/nexmo/callback?denied=${attacker.callback.searchParams.get('oauth_token')}`,
      victim.email,
    )
    const dash = await victim.agent.get('/dashboard').expect(200)
    expect(dash.text).not.toContain('Access denied')
  })
})
