import { describe, expect, it } from 'vitest'
import * as keys from '../src/redis/keys.js'

const ref = { tenantId: 'acme', userId: 'u1', provider: 'sms77' }

describe('Redis key names (stored data: they never change)', () => {
  it('names every key exactly as the data already in Redis does', () => {
    expect({
      meta: keys.tenantMetaKey('acme'),
      user: keys.userKey('acme', 'u1'),
      users: keys.tenantUsersKey('acme'),
      email: keys.emailKey('a@b.example'),
      sessions: keys.userSessionsKey('acme', 'u1'),
      session: keys.sessionKey('sid'),
      rateLimits: [keys.rateLimitKeyPrefix('login-ip'), keys.rateLimitKeyPrefix('login-acct')],
      signupLimit: keys.rateLimitKeyPrefix('signup-ip'),
      connection: keys.connectionKey(ref),
      connections: keys.tenantConnectionsKey('acme'),
      lock: keys.refreshLockKey(ref),
      flow: keys.pendingFlowKey('digest'),
      credentials: keys.tenantCredentialsKey('acme'),
      cache: keys.panelCacheKey('acme', 'u1', 'nexmo'),
      notices: keys.noticesKey('acme', 'u1'),
      webhook: keys.webhookSettingsKey('acme'),
      webhookLog: keys.webhookLogKey('acme'),
      webhookSlots: keys.webhookSlotsKey('acme'),
      webhookDead: keys.webhookDeadKey('acme'),
      search: keys.supportSearchKey('acme'),
      searchText: keys.supportSearchTextKey('acme'),
      balance: keys.supportBalanceKey('acme'),
      entries: keys.supportEntriesKey('acme'),
      audit: keys.auditKey('acme'),
      checked: keys.tenantCheckedKey('acme'),
      keepalive: [keys.KEEPALIVE_TENANTS_KEY, keys.KEEPALIVE_OLDEST_KEY, keys.KEEPALIVE_BACKFILLED_KEY],
    }).toEqual({
      meta: 't:{acme}:meta',
      user: 't:{acme}:user:u1',
      users: 't:{acme}:users',
      email: 'email:a@b.example',
      sessions: 't:{acme}:sessions:u1',
      session: 'sess:sid',
      rateLimits: ['rl:login-ip', 'rl:login-acct'],
      signupLimit: 'rl:signup-ip',
      connection: 't:{acme}:conn:u1:sms77',
      connections: 't:{acme}:conns',
      lock: 't:{acme}:conn:u1:sms77:refresh-lock',
      flow: 'flow:digest',
      credentials: 't:{acme}:provider-credentials',
      cache: 't:{acme}:cache:u1:nexmo',
      notices: 't:{acme}:notices:u1',
      webhook: 't:{acme}:webhook',
      webhookLog: 't:{acme}:webhook-log',
      webhookSlots: 't:{acme}:webhook-slots',
      webhookDead: 't:{acme}:webhook-dead',
      search: 't:{acme}:support:search',
      searchText: 't:{acme}:support:search-text',
      balance: 't:{acme}:support:balance',
      entries: 't:{acme}:support:entries',
      audit: 't:{acme}:audit',
      checked: 't:{acme}:conns-checked',
      keepalive: ['keepalive:tenants', 'keepalive:oldest', 'keepalive:backfilled:v1'],
    })
  })

  it('scans for connection records across tenants without taking their refresh locks', () => {
    expect(keys.connectionKeyPattern()).toBe('t:{*}:conn:*')
    expect(keys.webhookSettingsKey(keys.ANY_TENANT)).toBe('t:{*}:webhook')
    expect(keys.isConnectionKey(keys.connectionKey(ref))).toBe(true)
    expect(keys.isConnectionKey(keys.refreshLockKey(ref))).toBe(false)
  })
})
