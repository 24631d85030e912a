/**
 * Issue 28 part 8: what follows a connection's change lives beside the lifecycle's events
 * (connections/follow-ups.ts), and a listener that fails is logged, never dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { combineEvents, type ConnectionChange } from '../src/connections/events.js'
import { followUps } from '../src/connections/follow-ups.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'

const ref: ConnectionRef = { tenantId: 't1', userId: 'u1', provider: 'sms77' }

describe('connection change listeners', () => {
  it('hands a failing listener’s error to onFailed while the other listeners still hear the change', async () => {
    const heard: string[] = []
    const failed: Array<[string, string]> = []
    const events = combineEvents(
      [
        {
          changed: () => {
            throw new Error('index down')
          },
        },
        { changed: (c) => void heard.push(c.kind) },
      ],
      (err, c) => failed.push([(err as Error).message, c.kind]),
    )
    await events.changed({ kind: 'refreshed', ref })
    expect(heard).toEqual(['refreshed'])
    expect(failed).toEqual([['index down', 'refreshed']])
  })

  it('follows each kind of change with its owners, in order', async () => {
    const calls: string[] = []
    const events = followUps({
      notify: (_r, from, to, reason) =>
        void calls.push(`notify ${from}→${to}${reason ? ` (${reason})` : ''}`),
      announce: (c) => void calls.push(`announce ${c.kind}`),
      index: async (_r, a) => void calls.push(`index ${a.accountLabel} ${a.name ?? '-'}`),
      unindex: async () => void calls.push('unindex'),
      forgetBalances: async () => void calls.push('forget balances'),
      clearPanels: async () => void calls.push('clear panels'),
      listingChanged: async () => void calls.push('listing changed'),
    })
    const changes: ConnectionChange[] = [
      { kind: 'connected', ref, from: 'needs_reconnect', accountLabel: 'acct', name: 'Shop' },
      { kind: 'refreshed', ref },
      { kind: 'checked', ref },
      { kind: 'needs_reconnect', ref, from: 'connected', reason: 'grant_expired' },
      { kind: 'disconnected', ref, cause: 'user' },
    ]
    for (const c of changes) {
      calls.push(`— ${c.kind}`)
      await events.changed?.(c)
    }
    expect(calls).toEqual([
      '— connected',
      'notify needs_reconnect→connected',
      'announce connected',
      'index acct Shop',
      'clear panels',
      'listing changed',
      '— refreshed',
      '— checked',
      '— needs_reconnect',
      'notify connected→needs_reconnect (grant_expired)',
      'clear panels',
      'listing changed',
      '— disconnected',
      'announce disconnected',
      'unindex',
      'forget balances',
      'clear panels',
      'listing changed',
    ])
  })

  it('retires the kept listings last, even when a follow-up before it failed', async () => {
    const calls: string[] = []
    const events = followUps({
      notify: () => undefined,
      announce: () => undefined,
      index: async () => {
        throw new Error('index down')
      },
      unindex: async () => undefined,
      forgetBalances: async () => undefined,
      clearPanels: async () => void calls.push('clear panels'),
      listingChanged: async () => void calls.push('listing changed'),
    })
    const renamed: ConnectionChange = { kind: 'renamed', ref, accountLabel: 'acct', name: 'Shop' }
    await expect(events.changed!(renamed)).rejects.toThrow('index down')
    expect(calls).toEqual(['listing changed'])
  })
})

describe('a failing listener in the app', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({
      name: 'follow-ups',
      deps: {
        events: {
          changed: (c) => {
            if (c.kind === 'connected') throw new Error('listener broke')
          },
        },
      },
    })
  })
  afterAll(() => t.close())

  it('is logged with the change, and the connect and its follow-ups still happen', async () => {
    const { agent, email } = await signUp(t.app)
    await connectSms77(t, agent)
    const lines = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 50,
        msg: 'connection change listener failed',
        err: 'listener broke',
        change: 'connected',
        provider: 'sms77',
      }),
    )
    // The support index (a follow-up beside the failing listener) still found the account.
    const user = (await t.services.users.findForLogin(email))!.user
    const page = await t.services.supportIndex.page(user.tenantId, {
      search: email,
      sort: 'recent',
      offset: 0,
      limit: 10,
    })
    expect(page.members).toEqual([`${user.id}:sms77`])
  })
})
