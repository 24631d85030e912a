import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { tokenFingerprint } from '../src/sandbox/index.js'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { beginSms77, connectSms77 } from './helpers/flows.js'
import { pathOf, pressConsent } from './helpers/consent.js'
import { waitFor } from './helpers/redis-server.js'
import {
  startSandbox,
  TEST_NEXMO_CONSUMER,
  TEST_SMS77_CLIENT,
  type RunningSandbox,
} from './helpers/sandbox-server.js'
import { addUserAndSignIn } from './helpers/users.js'

/**
 * Grants are bound to the OAuth client that issued them (sms77 refuses a refresh token
 * presented by another client), so a tenant changing or clearing its own client must not
 * break existing connections, nor a connect flow already under way.
 */
const OWN = { id: 'tenant-own-client', secret: 'tenant-own-secret-xyz' }
const OWN2 = { id: 'tenant-second-client', secret: 'tenant-second-secret-xyz' }
let sandbox: RunningSandbox
let t: TestApp

beforeAll(async () => {
  sandbox = await startSandbox({
    sms77: {
      clients: [TEST_SMS77_CLIENT, OWN, OWN2],
      accessTokenTtlSec: 3600,
      codeTtlSec: 30,
      refreshGraceSec: 0,
    },
    nexmo: { consumers: [TEST_NEXMO_CONSUMER], timestampWindowSec: 300 },
  })
  t = await startTestApp({ name: 'lifecycle-credentials', sandbox, deps: { panelCacheTtlSec: 0 } })
})
afterAll(async () => {
  await t.close()
  await sandbox.close()
})

async function refOf(email: string): Promise<ConnectionRef> {
  const user = (await t.services.users.findForLogin(email))!.user
  return { tenantId: user.tenantId, userId: user.id, provider: 'sms77' }
}

async function setOwnClient(admin: Agent, client: { id: string; secret: string }): Promise<void> {
  const csrf = await csrfOf(admin, '/admin/credentials')
  await admin
    .post('/admin/credentials/sms77')
    .type('form')
    .send({ _csrf: csrf, ...client })
    .expect(303)
}

/** Makes the stored access token due, so the next dashboard view refreshes it. */
async function expire(ref: ConnectionRef): Promise<void> {
  const record = (await t.services.store.get(ref))!
  await t.services.store.saveGrant(ref, { ...record.grant, expiresAt: Date.now() - 1 }, record.client)
}

async function expectHealthy(agent: Agent): Promise<void> {
  const dash = await agent.get('/dashboard').expect(200)
  expect(dash.text).toContain('<span class="badge ok">connected</span>')
  expect(dash.text).not.toContain('needs reconnect')
}

describe('credential changes and existing connections', () => {
  it('keeps refreshing each grant with the client that issued it after the tenant changes its client twice', async () => {
    const { agent: admin } = await signUp(t.app)
    const first = await addUserAndSignIn(t.app, admin, 'member')
    await connectSms77(t, first.agent, ['balance'])
    const firstRef = await refOf(first.email)
    expect((await t.services.store.get(firstRef))!.client).toBe('default')

    await setOwnClient(admin, OWN)
    const second = await addUserAndSignIn(t.app, admin, 'member')
    const authorize = await beginSms77(second.agent, ['balance'])
    expect(authorize.searchParams.get('client_id')).toBe(OWN.id)
    const consent = await pressConsent(authorize.toString(), 'Allow')
    await second.agent.get(pathOf(consent.location)).expect(303)
    const secondRef = await refOf(second.email)
    expect((await t.services.store.get(secondRef))!.client).toMatch(/^tenant:/)

    await setOwnClient(admin, OWN2)
    const failuresBefore = sandbox.control.stats.sms77.refreshFailures
    const refreshesBefore = sandbox.control.stats.sms77.refreshes
    for (const [ref, agent] of [
      [firstRef, first.agent],
      [secondRef, second.agent],
    ] as const) {
      await expire(ref)
      await expectHealthy(agent)
    }
    expect(sandbox.control.stats.sms77.refreshes).toBe(refreshesBefore + 2)
    expect(sandbox.control.stats.sms77.refreshFailures).toBe(failuresBefore)

    const page = await admin.get('/admin/credentials').expect(200)
    expect(page.text).toMatch(/Operator defaults<\/td><td>1</)
    expect(page.text).toMatch(new RegExp(`Your earlier client ${OWN.id}, replaced [\\d-]+</td><td>1<`))
    expect(page.text).toMatch(new RegExp(`Your client ${OWN2.id} \\(current\\)</td><td>0<`))
  })

  it('completes a connect flow begun before a credential change with the client it began with', async () => {
    const { agent: admin } = await signUp(t.app)
    const member = await addUserAndSignIn(t.app, admin, 'member')
    const authorize = await beginSms77(member.agent, ['balance'])
    expect(authorize.searchParams.get('client_id')).toBe(TEST_SMS77_CLIENT.id)
    await setOwnClient(admin, OWN)
    const consent = await pressConsent(authorize.toString(), 'Allow')
    await member.agent.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
    const ref = await refOf(member.email)
    expect((await t.services.store.get(ref))!.client).toBe('default')
    await expectHealthy(member.agent)
  })

  it('revokes at sms77 on Disconnect with the issuing client, and deletes even when the revocation fails', async () => {
    const { agent: admin } = await signUp(t.app)
    await setOwnClient(admin, OWN)
    const member = await addUserAndSignIn(t.app, admin, 'member')
    await connectSms77(t, member.agent, ['balance'])
    const ref = await refOf(member.email)
    const refresh = (await t.services.store.get(ref))!.grant.secrets.refreshToken!
    await setOwnClient(admin, OWN2)

    await member.agent
      .post('/disconnect/sms77')
      .type('form')
      .send({ _csrf: await csrfOf(member.agent) })
      .expect(303)
    await waitFor('the revocation', async () =>
      sandbox.control.sms77Revocations().some((r) => r.tokenSha256 === tokenFingerprint(refresh)),
    )
    const revocation = sandbox.control
      .sms77Revocations()
      .find((r) => r.tokenSha256 === tokenFingerprint(refresh))!
    expect(revocation).toMatchObject({
      clientId: OWN.id,
      clientAuth: 'basic',
      tokenKind: 'refresh_token',
      outcome: 'revoked',
    })
    expect(sandbox.control.sms77RefreshTokens()).not.toContain(refresh)
    expect(await t.services.store.get(ref)).toBeNull()

    // A provider that cannot revoke right now never keeps the connection.
    await connectSms77(t, member.agent, ['balance'])
    sandbox.control.faults.revokeFails = true
    try {
      await member.agent
        .post('/disconnect/sms77')
        .type('form')
        .send({ _csrf: await csrfOf(member.agent) })
        .expect(303)
      expect(await t.services.store.get(ref)).toBeNull()
      expect(await t.services.connections.drain(5_000)).toBe(true)
      const logged = t.logs.filter((l) => l.includes('revocation failed'))
      expect(logged.length).toBeGreaterThan(0)
      expect(logged.at(-1)).toMatch(/"code":"provider_\w+"/)
    } finally {
      sandbox.control.faults.revokeFails = false
    }
  })

  it('sends PKCE S256 that sms77 verifies: the sandbox refuses an authorization without it', async () => {
    sandbox.control.options.sms77.requirePkce = true
    try {
      const { agent } = await signUp(t.app)
      await connectSms77(t, agent, ['balance'])
      await expectHealthy(agent)
      const bare = await beginSms77(agent, ['balance'])
      bare.searchParams.delete('code_challenge')
      bare.searchParams.delete('code_challenge_method')
      const refused = await fetch(bare, { redirect: 'manual' })
      expect(refused.status).toBe(302)
      expect(refused.headers.get('location')).toContain('error=invalid_request')
    } finally {
      sandbox.control.options.sms77.requirePkce = false
    }
  })
})
