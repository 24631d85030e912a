import http from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type Router } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { sandboxStateStore } from '../src/redis/sandbox-state.js'
import type { RedisClient } from '../src/redis/client.js'
import { createSandbox, SANDBOX_PATHS, type Sandbox, type SandboxOptions } from '../src/sandbox/index.js'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectNexmo, connectSms77 } from './helpers/flows.js'
import { keysUnder, openRedis, uniquePrefix, dropPrefix } from './helpers/redis.js'
import { TEST_NEXMO_CONSUMER, TEST_SMS77_CLIENT, type RunningSandbox } from './helpers/sandbox-server.js'

/**
 * The sandbox keeps what it issued in Redis under its own keys: a second sandbox on the same
 * prefix (a restart of `npm run dev`, a file save) honours every grant the first one made,
 * with the balances and messages the first one changed. One loopback server; the sandbox
 * behind it is replaced, as a restarted process would be.
 */
const OPTIONS: SandboxOptions = {
  sms77: { clients: [TEST_SMS77_CLIENT], accessTokenTtlSec: 3600, codeTtlSec: 30, refreshGraceSec: 0 },
  nexmo: { consumers: [TEST_NEXMO_CONSUMER], timestampWindowSec: 300 },
}

let server: http.Server
let current: Sandbox
let sandboxRedis: RedisClient
let sandboxPrefix: string
let running: RunningSandbox
let t: TestApp

/** A new sandbox process, as far as its state goes: nothing in memory, the same Redis. */
async function restartSandbox(): Promise<Sandbox> {
  const next = createSandbox(OPTIONS, { store: sandboxStateStore(sandboxRedis) })
  await next.ready
  current = next
  return next
}

beforeAll(async () => {
  sandboxPrefix = uniquePrefix('sandbox-kept')
  sandboxRedis = await openRedis(sandboxPrefix)
  await restartSandbox()
  const app = express()
  app.use('/sandbox', (req, res, next) => (current.router as Router)(req, res, next))
  server = http.createServer(app)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sandbox`
  running = {
    origin: base.replace(/\/sandbox$/, ''),
    sms77OAuthUrl: base + SANDBOX_PATHS.sms77OAuth,
    sms77ApiUrl: base + SANDBOX_PATHS.sms77Api,
    nexmoOAuthUrl: base + SANDBOX_PATHS.nexmoOAuth,
    nexmoRestUrl: base + SANDBOX_PATHS.nexmoRest,
    get control() {
      return current.control
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  t = await startTestApp({ name: 'sandbox-kept-app', sandbox: running, deps: { panelCacheTtlSec: 0 } })
})

afterAll(async () => {
  await t.close()
  await running.close()
  sandboxRedis.disconnect()
  await dropPrefix(sandboxPrefix)
})

async function sms77Api(token: string, path: string, init: RequestInit = {}) {
  const res = await fetch(`${running.sms77ApiUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...init.headers },
  })
  expect(res.status).toBe(200)
  return res.json() as Promise<unknown>
}

describe('sandbox state kept in Redis', () => {
  it('a grant made on one sandbox works on the next, with its balance and messages', async () => {
    const { agent, email } = await signUp(t.app, 'Kept Sandbox Org')
    await connectSms77(t, agent, ['balance', 'journal', 'sms'])
    await connectNexmo(agent)
    const user = (await t.services.users.findForLogin(email))!.user
    const ref: ConnectionRef = { tenantId: user.tenantId, userId: user.id, provider: 'sms77' }
    const token = (await t.services.store.get(ref))!.grant.secrets.accessToken
    const text = `kept across a restart ${Date.now()}`
    await sms77Api(token, '/sms', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+491701234567', text }),
    })
    const balance = await sms77Api(token, '/balance')
    // Only the sandbox's own keys, one hash per kind.
    expect((await keysUnder(sandboxPrefix)).every((k) => k.startsWith('sandbox:{sandbox}:'))).toBe(true)

    await restartSandbox()
    const page = await agent.get('/dashboard').expect(200)
    expect(page.text).toContain('john.doe@acme.inc')
    expect(page.text).not.toContain('needs reconnect')
    expect(page.text).not.toContain('class="panel-error"')
    expect(await sms77Api(token, '/balance')).toEqual(balance)
    const journal = (await sms77Api(token, '/journal?type=outbound')) as Array<{ text: string }>
    expect(journal.map((m) => m.text)).toContain(text)

    // A refresh on this sandbox rotates the token; the next sandbox knows the new one.
    const before = (await t.services.store.get(ref))!.grant
    await t.services.store.saveGrant(ref, { ...before, expiresAt: Date.now() - 1 })
    await agent.get('/dashboard').expect(200)
    expect(current.control.stats.sms77.refreshes).toBe(1)
    const rotated = (await t.services.store.get(ref))!.grant
    expect(rotated.secrets.refreshToken).not.toBe(before.secrets.refreshToken)

    await restartSandbox()
    await t.services.store.saveGrant(ref, { ...rotated, expiresAt: Date.now() - 1 })
    const again = await agent.get('/dashboard').expect(200)
    expect(current.control.stats.sms77.refreshes).toBe(1)
    expect(current.control.stats.sms77.refreshFailures).toBe(0)
    expect(again.text).not.toContain('needs reconnect')
    expect(again.text).toContain('john.doe@acme.inc')
  })

  it('without a store, a new sandbox knows none of the old grants (what the store fixes)', async () => {
    const { agent } = await signUp(t.app, 'Forgetful Sandbox Org')
    await connectNexmo(agent)
    current = createSandbox(OPTIONS)
    const page = await agent.get('/dashboard').expect(200)
    expect(page.text).toContain('needs reconnect')
    await restartSandbox()
  })
})
