import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { csrfOf, signUp, startTestApp, type Agent, type TestApp } from './helpers/app.js'
import { connectSms77 } from './helpers/flows.js'
import { addUserAndSignIn } from './helpers/users.js'
import { seedDemo } from '../src/support/seed-demo.js'

let t: TestApp
let admin: Agent
let support: Agent
let member: Agent
let memberEmail: string
let tenantId: string

beforeAll(async () => {
  t = await startTestApp({ name: 'support' })
  const a = await signUp(t.app, 'Support Org')
  admin = a.agent
  tenantId = (await t.services.users.findForLogin(a.email))!.user.tenantId
  support = (await addUserAndSignIn(t.app, admin, 'support')).agent
  const m = await addUserAndSignIn(t.app, admin, 'member')
  member = m.agent
  memberEmail = m.email
  await connectSms77(t, member, ['balance'])
})
afterAll(() => t.close())

const rowsOf = (html: string) => (html.match(/<tr class="[^"]*">/g) ?? []).length

describe('roles', () => {
  it('lets support and admin into /support and keeps members out of /support and /admin', async () => {
    await support.get('/support').expect(200)
    await admin.get('/support').expect(200)
    await member.get('/support').expect(403)
    await member.get('/support/export.csv').expect(403)
    for (const path of ['/admin/users', '/admin/credentials', '/admin/audit']) {
      await member.get(path).expect(403)
      await support.get(path).expect(403)
      await admin.get(path).expect(200)
    }
    const csrf = await csrfOf(support)
    await support
      .post('/admin/users')
      .type('form')
      .send({ _csrf: csrf, email: 'x@y.test', password: 'long password!!', role: 'admin' })
      .expect(403)
  })
})

describe('the support console', () => {
  it('shows every connected account of the tenant with status, company and a balance read through the provider', async () => {
    const page = await support.get('/support').expect(200)
    expect(page.text).toContain(memberEmail)
    expect(page.text).toContain('Acme Inc')
    expect(page.text).toContain('627.36 EUR')
    expect(page.text).toContain('<span class="badge ok">connected</span>')
    expect(page.text).not.toMatch(/access_token|refresh_token|Bearer /)
  })

  it('records each view, search, refresh and export in the audit log, which admins read newest first', async () => {
    await support.get('/support?q=acme').expect(200)
    const csrf = await csrfOf(support, '/support')
    const member = (await t.services.supportIndex.page(tenantId, { sort: 'recent', offset: 0, limit: 1 }))
      .members[0]!
    const meCalls = t.sandbox.control.stats.sms77.meCalls
    await support
      .post('/support/refresh')
      .type('form')
      .send({ _csrf: csrf, member, q: '', sort: 'recent', page: '1' })
      .expect(303)
    expect(t.sandbox.control.stats.sms77.meCalls).toBe(meCalls + 1)
    await support.get('/support/export.csv').expect(200)
    const { entries } = await t.services.audit.page(tenantId, 20)
    const actions = entries.map((e) => e.action)
    // csrfOf() itself viewed /support just before the refresh.
    expect(actions.slice(0, 4)).toEqual([
      'support.export',
      'support.refresh',
      'support.view',
      'support.search',
    ])
    expect(actions).toContain('support.search')
    const refresh = entries.find((e) => e.action === 'support.refresh')!
    expect(refresh.accounts).toEqual([member])
    expect(refresh.actorEmail).toMatch(/^support-/)
    const auditPage = await admin.get('/admin/audit').expect(200)
    expect(auditPage.text.indexOf('support.export')).toBeLessThan(auditPage.text.indexOf('support.refresh'))
  })

  it('shows the provider’s error beside the last known balance, and the page still renders', async () => {
    const m = (
      await t.services.supportIndex.page(tenantId, {
        search: memberEmail,
        sort: 'recent',
        offset: 0,
        limit: 1,
      })
    ).members[0]!
    t.sandbox.control.setFaults({ apiFails: true })
    try {
      await support
        .post('/support/refresh')
        .type('form')
        .send({
          _csrf: await csrfOf(support, '/support'),
          member: m,
          q: memberEmail,
          sort: 'recent',
          page: '1',
        })
        .expect(303)
      const page = await support.get(`/support?q=${encodeURIComponent(memberEmail)}`).expect(200)
      expect(page.text).toContain('627.36 EUR')
      expect(page.text).toContain('could not describe the account right now')
      // A provider answering 5xx makes the connection degraded (issue 24), shown with its reason.
      expect(page.text).toContain('<span class="badge warn">temporarily unavailable</span>')
      // Refresh says the read failed, not "read again" (issue 16).
      expect(page.text).toMatch(
        /role="alert">The balance of [^<]+ \(sms77\) could not be read: sms77 could not/,
      )
      expect(page.text).not.toContain('read again')
    } finally {
      t.sandbox.control.setFaults({ apiFails: false })
    }
  })

  it('pages, searches and sorts a few hundred accounts from the Redis indexes', async () => {
    await seedDemo(t.redis, t.services.cipher, tenantId, 300)
    const first = await support.get('/support').expect(200)
    expect(rowsOf(first.text)).toBe(50)
    expect(first.text).toMatch(/30[12] accounts in your organisation/)
    expect(first.text).toContain('Page 1 of 7')
    const last = await support.get('/support?page=7').expect(200)
    expect(rowsOf(last.text)).toBe(1) // 301 accounts: 6 full pages and one
    const globex = await support.get('/support?q=GLOBEX').expect(200)
    expect(globex.text).toMatch(/25 accounts matching/)
    expect((globex.text.match(/Globex/g) ?? []).length).toBeGreaterThanOrEqual(25)
    const byEmail = await support.get('/support?q=demo-00042@').expect(200)
    expect(rowsOf(byEmail.text)).toBe(1)
    const asc = await support.get('/support?sort=balance_asc').expect(200)
    const amounts = [...asc.text.matchAll(/<td [^>]*class="num">([\d,.]+) EUR/g)].map((m) =>
      Number(m[1]!.replace(/,/g, '')),
    )
    expect(amounts.length).toBe(50)
    expect([...amounts].sort((a, b) => a - b)).toEqual(amounts)
    const desc = await support.get('/support?sort=balance_desc').expect(200)
    const top = Number(/<td [^>]*class="num">([\d,.]+) EUR/.exec(desc.text)![1]!.replace(/,/g, ''))
    expect(top).toBeGreaterThanOrEqual(Math.max(...amounts))
    await support.get('/support?sort=sideways').expect(400)
    await support.get('/support?page=0').expect(400)
  })

  it('exports the whole tenant as CSV, one row per account, with formula cells neutralised', async () => {
    const res = await support.get('/support/export.csv').expect(200)
    expect(res.headers['content-type']).toMatch(/text\/csv/)
    expect(res.headers['content-disposition']).toMatch(/attachment/)
    const lines = res.text.trim().split('\r\n')
    expect(lines[0]).toBe(
      '"email","provider","status","account","company","balance","currency","balance_read_at","error","connected_at"',
    )
    expect(lines.length - 1).toBe(await t.redis.zcard(`t:{${tenantId}}:conns`))
    expect(lines.some((l) => l.startsWith(`"${memberEmail}","sms77","`))).toBe(true)
  })

  it('shows nothing of another tenant', async () => {
    const other = await signUp(t.app, 'Other Org')
    const page = await other.agent.get('/support').expect(200)
    expect(page.text).toContain('No account in this organisation is connected yet.')
    const search = await other.agent.get(`/support?q=${encodeURIComponent(memberEmail)}`).expect(200)
    expect(search.text).toContain('No account matches this search.')
    expect(rowsOf(search.text)).toBe(0)
    const csv = await other.agent.get('/support/export.csv').expect(200)
    expect(csv.text.trim().split('\r\n')).toHaveLength(1)
    const victim = (
      await t.services.supportIndex.page(tenantId, {
        search: memberEmail,
        sort: 'recent',
        offset: 0,
        limit: 1,
      })
    ).members[0]!
    await other.agent
      .post('/support/refresh')
      .type('form')
      .send({ _csrf: await csrfOf(other.agent, '/support'), member: victim })
      .expect(303)
    expect((await other.agent.get('/support')).text).toContain('no longer connected')
  })
})

describe('low-balance highlight', () => {
  it('marks rows under the tenant’s own threshold, which admins set', async () => {
    const csrf = await csrfOf(admin, '/admin/credentials')
    await admin
      .post('/admin/settings')
      .type('form')
      .send({ _csrf: csrf, lowBalanceThreshold: '1000' })
      .expect(303)
    const all = await support.get(`/support?q=${encodeURIComponent(memberEmail)}`).expect(200)
    expect(all.text).toContain('<tr class="low">')
    await admin
      .post('/admin/settings')
      .type('form')
      .send({ _csrf: csrf, lowBalanceThreshold: '0' })
      .expect(303)
    const none = await support.get(`/support?q=${encodeURIComponent(memberEmail)}`).expect(200)
    expect(none.text).not.toContain('<tr class="low">')
    await admin
      .post('/admin/settings')
      .type('form')
      .send({ _csrf: csrf, lowBalanceThreshold: 'lots' })
      .expect(303)
    expect((await admin.get('/admin/credentials')).text).toContain('Not saved')
  })
})

describe('balance sorts', () => {
  it('list every account, including one whose balance was never read', async () => {
    const { agent: owner, email } = await signUp(t.app, 'Sort Org')
    await connectSms77(t, owner, ['balance'])
    const ownerTenant = (await t.services.users.findForLogin(email))!.user.tenantId
    await seedDemo(t.redis, t.services.cipher, ownerTenant, 3)
    const unread = await owner.get('/support?sort=balance_desc').expect(200)
    expect(unread.text).toContain('4 accounts in your organisation')
    expect(rowsOf(unread.text)).toBe(4)
    expect(unread.text).toContain(email)
  })
})

describe('sorting by user', () => {
  it('orders the rows by email, from the search index', async () => {
    const page = await support.get('/support?sort=email').expect(200)
    const emails = [
      ...page.text.matchAll(/<tr class="[^"]*">\s*<td><a href="[^"]*">([^<]+)<\/a><\/td>/g),
    ].map((m) => m[1]!)
    expect(emails.length).toBe(50)
    expect([...emails].sort()).toEqual(emails)
    const second = await support.get('/support?sort=email&page=2').expect(200)
    const next = /<tr class="[^"]*">\s*<td><a href="[^"]*">([^<]+)<\/a><\/td>/.exec(second.text)![1]!
    expect(next > emails[49]!).toBe(true)
  })
})
