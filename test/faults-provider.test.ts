/**
 * Provider faults, switched on in the sandbox while the app runs: down (500), broken JSON,
 * slow, hanging, and a token endpoint that fails in the middle of a refresh. The dashboard
 * answers in time with an error per panel, the connection is kept (a provider that is down
 * makes it `degraded` until it answers again after the back-off), no refresh is spent,
 * and no token stored is touched.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { keysUnder } from './helpers/redis.js'
import { SECRET_FIELDS, storedSecrets } from '../src/connections/record.js'
import { steppedClock } from './helpers/clock.js'

const clock = steppedClock()
let t: TestApp
beforeAll(async () => {
  // No panel cache: every view reaches the provider.
  t = await startTestApp({
    name: 'faults-provider',
    deps: { panelCacheTtlSec: 0, health: { now: clock.now } },
  })
})
afterEach(() =>
  t.sandbox.control.setFaults({
    apiFails: false,
    apiMalformed: false,
    apiHangs: false,
    apiLatencyMs: 0,
    tokenFails: false,
    tokenLatencyMs: 0,
  }),
)
afterAll(() => t.close())

const SCOPES = ['balance', 'analytics', 'journal', 'contacts', 'sms']

async function connected(): Promise<{ agent: Agent; sms77: ConnectionRef; nexmo: ConnectionRef }> {
  const { agent, email } = await signUp(t.app)
  await connectSms77(t, agent, SCOPES)
  await connectNexmo(agent)
  const user = (await t.services.users.findForLogin(email))!.user
  const sms77 = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' as const }
  return { agent, sms77, nexmo: { ...sms77, provider: 'nexmo' } }
}

/** The raw stored hash of a connection: compared whole, so "unchanged" means every field. */
async function rawRecord(ref: ConnectionRef): Promise<Record<string, string>> {
  return t.redis.hgetall(`t:{${ref.tenantId}}:conn:${ref.userId}:${ref.provider}`)
}

/** The stored grant alone (tokens, expiry, account): what a fault must never touch. */
async function storedGrant(ref: ConnectionRef): Promise<Record<string, string | undefined>> {
  const h = await rawRecord(ref)
  const fields = [...SECRET_FIELDS, 'expiresAt', 'obtainedAt', 'scopes', 'accountId', 'generation']
  return Object.fromEntries(fields.map((f) => [f, h[f]]))
}

/** Past the back-off's first step: the next view makes the one attempt that finds the provider back. */
async function afterBackoff(agent: Agent): Promise<void> {
  clock.advance(31_000)
  await agent.get('/dashboard').expect(200)
}

const refreshCount = () =>
  t.sandbox.control.stats.sms77.refreshes + t.sandbox.control.stats.sms77.refreshFailures

function panelErrors(html: string): string[] {
  return [...html.matchAll(/<p class="(?:panel-error|flash error)" role="alert">([^<]*)<\/p>/g)].map(
    (m) => m[1]!,
  )
}

async function timedDashboard(agent: Agent): Promise<{ ms: number; text: string }> {
  const started = Date.now()
  const res = await agent.get('/dashboard').expect(200)
  return { ms: Date.now() - started, text: res.text }
}

/** The healthy page: both cards connected, no error anywhere. */
async function expectHealthy(agent: Agent): Promise<void> {
  const { text } = await timedDashboard(agent)
  expect(panelErrors(text)).toEqual([])
  expect(text.match(/<span class="badge ok">connected<\/span>/g)).toHaveLength(2)
}

describe('the provider API is down or broken', () => {
  for (const [fault, sms77Message, nexmoMessage] of [
    [
      'apiFails',
      /sms77 could not (answer this request|describe the account) right now/,
      /Nexmo could not answer right now/,
    ],
    [
      'apiMalformed',
      /sms77 (sent an answer|sent a balance|described the account in a form) Switchboard could not read/,
      /Nexmo (sent|answered)[^<]*could not read/,
    ],
  ] as const) {
    it(`${fault}: every panel shows a readable error at once, the connections are kept, no refresh is spent`, async () => {
      const { agent, sms77, nexmo } = await connected()
      const before = {
        sms77: await storedGrant(sms77),
        nexmo: await storedGrant(nexmo),
        refreshes: refreshCount(),
      }
      t.sandbox.control.setFaults({ [fault]: true })
      const { ms, text } = await timedDashboard(agent)
      expect(ms).toBeLessThan(3_000)
      const errors = panelErrors(text)
      // Profile + balance, analytics, journal, contacts for sms77; the profile for Nexmo.
      expect(errors.filter((e) => sms77Message.test(e))).toHaveLength(5)
      expect(errors.filter((e) => nexmoMessage.test(e))).toHaveLength(1)
      expect(errors.filter((e) => !sms77Message.test(e) && !nexmoMessage.test(e))).toEqual([])
      // Panels that need no call still work; no card needs a reconnect.
      expect(text).toContain('Send SMS')
      expect(text).not.toContain('needs reconnect')
      // A provider that answers 5xx is passing (degraded); an unreadable answer says nothing of it.
      const down = fault === 'apiFails'
      expect(text.match(/<span class="badge warn">temporarily unavailable<\/span>/g) ?? []).toHaveLength(
        down ? 2 : 0,
      )
      expect(text.match(/<span class="badge ok">connected<\/span>/g) ?? []).toHaveLength(down ? 0 : 2)
      expect((await t.services.store.get(sms77))!.status).toBe(down ? 'degraded' : 'connected')
      expect((await t.services.store.get(nexmo))!.status).toBe(down ? 'degraded' : 'connected')
      expect(refreshCount()).toBe(before.refreshes)
      expect(await storedGrant(sms77)).toEqual(before.sms77)
      expect(await storedGrant(nexmo)).toEqual(before.nexmo)
      t.sandbox.control.setFaults({ [fault]: false })
      if (down) await afterBackoff(agent)
      await expectHealthy(agent)
    })
  }
})

describe('the provider API is slow or hangs', () => {
  it('a slow provider (1 s per call) still gives a full dashboard within 3 s: panels load in parallel', async () => {
    const { agent } = await connected()
    t.sandbox.control.setFaults({ apiLatencyMs: 1_000 })
    const { ms, text } = await timedDashboard(agent)
    expect(ms).toBeGreaterThanOrEqual(1_000)
    expect(ms).toBeLessThan(3_000)
    expect(panelErrors(text)).toEqual([])
    expect(text).toContain('john.doe@acme.inc')
  })

  it('a hanging provider: the dashboard answers within 3 s, each panel says so, the connection is kept, no refresh is spent', async () => {
    const { agent, sms77, nexmo } = await connected()
    const before = {
      sms77: await storedGrant(sms77),
      nexmo: await storedGrant(nexmo),
      refreshes: refreshCount(),
    }
    t.sandbox.control.setFaults({ apiHangs: true })
    const { ms, text } = await timedDashboard(agent)
    expect(ms).toBeLessThan(3_000)
    const errors = panelErrors(text)
    expect(errors.length).toBe(6)
    for (const e of errors)
      expect(e).toMatch(/(sms77|Nexmo) (took too long to answer|did not answer in time)/)
    expect(text.match(/<span class="badge warn">temporarily unavailable<\/span>/g)).toHaveLength(2)
    expect(refreshCount()).toBe(before.refreshes)
    expect(await storedGrant(sms77)).toEqual(before.sms77)
    expect(await storedGrant(nexmo)).toEqual(before.nexmo)
    t.sandbox.control.setFaults({ apiHangs: false })
  })

  it('a provider that answers after the deadline is fine again on the next view', async () => {
    const { agent } = await connected()
    t.sandbox.control.setFaults({ apiLatencyMs: 3_500 })
    const slow = await timedDashboard(agent)
    expect(slow.ms).toBeLessThan(3_000)
    expect(panelErrors(slow.text).length).toBeGreaterThan(0)
    t.sandbox.control.setFaults({ apiLatencyMs: 0 })
    await expectHealthy(agent)
  })
})

describe('the token endpoint fails during a refresh', () => {
  /** Makes the stored token due (30 s left of an hour) while the provider still honours it. */
  async function makeDue(ref: ConnectionRef): Promise<void> {
    const record = (await t.services.store.get(ref))!
    const now = Date.now()
    await t.services.store.saveGrant(ref, {
      ...record.grant,
      obtainedAt: now - 3_570_000,
      expiresAt: now + 30_000,
    })
  }

  it('keeps using the old access token while it is still valid, and writes no token', async () => {
    const { agent, sms77 } = await connected()
    await makeDue(sms77)
    const before = await rawRecord(sms77)
    const grantBefore = await storedGrant(sms77)
    const failures = t.sandbox.control.stats.sms77.refreshFailures
    t.sandbox.control.setFaults({ tokenFails: true })
    const { text } = await timedDashboard(agent)
    // The refresh was tried and failed...
    expect(t.sandbox.control.stats.sms77.refreshFailures).toBeGreaterThan(failures)
    // ...yet the page is whole, served with the old token, which is exactly as it was.
    expect(panelErrors(text)).toEqual([])
    expect(text).toContain('john.doe@acme.inc')
    expect(await storedGrant(sms77)).toEqual(grantBefore)
    // The token endpoint answered 5xx: the connection backs off before trying it again.
    expect((await t.services.store.get(sms77))!.status).toBe('degraded')
    expect((await keysUnder(t.prefix)).filter((k) => k.endsWith(':refresh-lock'))).toEqual([])
    // Back up: past the back-off the next view refreshes once and stores the new pair.
    t.sandbox.control.setFaults({ tokenFails: false })
    const refreshes = t.sandbox.control.stats.sms77.refreshes
    clock.advance(31_000)
    await expectHealthy(agent)
    expect((await t.services.store.get(sms77))!.status).toBe('connected')
    expect(t.sandbox.control.stats.sms77.refreshes).toBe(refreshes + 1)
    const after = (await t.services.store.get(sms77))!.grant
    const old = JSON.parse(
      await t.services.ciphers.open(
        sms77.tenantId,
        storedSecrets(before),
        `t:{${sms77.tenantId}}:conn:${sms77.userId}:sms77`,
      ),
    ) as { refreshToken: string }
    expect(after.secrets.refreshToken).not.toBe(old.refreshToken)
    expect(t.sandbox.control.sms77RefreshTokens()).toContain(after.secrets.refreshToken)
  })

  it('with the access token expired too: readable panel errors, tokens untouched, connection kept, recovers afterwards', async () => {
    const { agent, sms77 } = await connected()
    const record = (await t.services.store.get(sms77))!
    await t.services.store.saveGrant(sms77, { ...record.grant, expiresAt: Date.now() - 1 })
    t.sandbox.control.expireSms77AccessTokens()
    const before = await storedGrant(sms77)
    t.sandbox.control.setFaults({ tokenFails: true })
    const { ms, text } = await timedDashboard(agent)
    expect(ms).toBeLessThan(3_000)
    const errors = panelErrors(text)
    expect(errors.length).toBeGreaterThanOrEqual(5)
    expect(
      errors.filter((e) => e.startsWith('sms77')).every((e) => /could not issue a token right now/.test(e)),
    ).toBe(true)
    expect(await storedGrant(sms77)).toEqual(before)
    expect(text).not.toContain('needs reconnect')
    expect(text).toContain('temporarily unavailable')
    // Work the page set off may still be settling (a panel past its deadline, a background
    // read): wait for every tracked refresh, then no lock may be left behind.
    expect(await t.services.connections.drain(10_000)).toBe(true)
    expect(await storedGrant(sms77)).toEqual(before)
    expect((await keysUnder(t.prefix)).filter((k) => k.endsWith(':refresh-lock'))).toEqual([])
    t.sandbox.control.setFaults({ tokenFails: false })
    clock.advance(31_000)
    await expectHealthy(agent)
    expect(t.sandbox.control.sms77RefreshTokens()).toContain(
      (await t.services.store.get(sms77))!.grant.secrets.refreshToken,
    )
  })

  it('a 401 at send time with the token endpoint down: the message is not sent, the error is readable, nothing is written', async () => {
    const { agent, sms77 } = await connected()
    // The form's page first, while all is well (a page load during the fault would already
    // have found the token endpoint down, and the send would then wait out the back-off).
    const csrf = await csrfOf(agent)
    t.sandbox.control.expireSms77AccessTokens()
    const before = await storedGrant(sms77)
    const sent = t.sandbox.control.stats.sms77.apiCalls.sms ?? 0
    t.sandbox.control.setFaults({ tokenFails: true })
    const res = await agent
      .post('/connections/sms77/sms')
      .type('form')
      .send({ _csrf: csrf, to: '+491701234567', text: 'fault test' })
      .expect(303)
    expect(res.headers.location).toBe('/dashboard')
    expect(await storedGrant(sms77)).toEqual(before)
    const page = await agent.get('/dashboard').expect(200)
    expect(page.text).toMatch(/Not sent: sms77 could not issue a token right now/)
    expect(await storedGrant(sms77)).toEqual(before)
    // The gateway saw one call (answered 401), and no message went out.
    expect(t.sandbox.control.stats.sms77.apiCalls.sms ?? 0).toBe(sent + 1)
  })
})
