import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from './helpers/app.js'
import { keysUnder, REDIS_URL } from './helpers/redis.js'
import type { ConnectionRef } from '../src/connections/connection-store.js'
import type { Grant, ProviderId } from '../src/providers/types.js'
import { seedDemo } from '../src/support/seed-demo.js'
import {
  supportBalanceKey,
  supportEntriesKey,
  supportSearchKey,
  supportSearchTextKey,
  supportWordsKey,
} from '../src/redis/keys.js'
import { backfillWordIndexOnce } from '../src/support/word-backfill.js'
import { packMember, unpackMember } from '../src/support/packed-member.js'
import { PAGE_MAX } from '../src/support/word-scripts.js'
import { WordIndex } from '../src/support/word-index.js'

let t: TestApp
let tenantId: string

beforeAll(async () => {
  t = await startTestApp({ name: 'support-search' })
  tenantId = `search${randomBytes(4).toString('hex')}`
})
afterAll(() => t.close())

const grant = (accountLabel: string): Grant => ({
  secrets: { accessToken: `at-${randomBytes(6).toString('hex')}`, refreshToken: 'rt' },
  expiresAt: Date.now() + 3_600_000,
  obtainedAt: Date.now(),
  scopes: ['balance'],
  accountId: '1',
  accountLabel,
})

async function connect(email: string, label: string, provider: ProviderId = 'sms77') {
  const found = await t.services.users.findForLogin(email)
  const user =
    found?.user ?? (await t.services.users.create({ tenantId, email, passwordHash: 'x', role: 'member' }))
  const ref: ConnectionRef = { tenantId, userId: user.id, provider }
  await t.services.connections.connect(ref, grant(label), 'default')
  return { ref, member: `${user.id}:${provider}`, user }
}

/** What a balance read records (support/balance-reader.ts): the entry, then the words with the company. */
async function readBalance(ref: ConnectionRef, email: string, label: string, company: string, amount = 5) {
  const index = t.services.supportIndex
  await index.recordBalance(ref, { balance: { amount, currency: 'EUR' }, company, readAt: Date.now() })
  await index.indexConnection(ref, [email, label, company])
}

const search = async (q: string, offset = 0, limit = 50) =>
  t.services.supportIndex.page(tenantId, { search: q, sort: 'recent', offset, limit })
const sorted = (sort: 'balance_asc' | 'email') =>
  t.services.supportIndex.page(tenantId, { sort, offset: 0, limit: 1000 })

describe('word-prefix search', () => {
  it('matches the start of any word of the email, account name and company, in any case', async () => {
    const anna = await connect('anna.berg@northwind.test', 'Northwind Traders')
    const bob = await connect('bob@contoso.test', 'Bob’s Bikes', 'nexmo')
    await readBalance(anna.ref, 'anna.berg@northwind.test', 'Northwind Traders', 'Fabrikam GmbH')
    const hits = async (q: string) => (await search(q)).members
    expect(await hits('BERG')).toEqual([anna.member])
    expect(await hits('erg')).toEqual([]) // inside a word: no
    expect(await hits('northw')).toEqual([anna.member])
    expect(await hits('Fabrikam gm')).toEqual([anna.member])
    expect(await hits('bikes')).toEqual([bob.member])
    expect(await hits('bob@contoso.t')).toEqual([bob.member])
    expect(await hits('  ANNA.berg@NORTH ')).toEqual([anna.member])
    expect(await hits('test')).toEqual([anna.member, bob.member].sort())
  })

  it('checks a query longer than an index entry against the whole stored text', async () => {
    const long = 'a-rather-long-local-part-for-searching@wingtip.test'
    const w = await connect(long, 'Wingtip')
    expect((await search(long)).members).toEqual([w.member])
    expect((await search('rather-long-local-part-for-searching@wing')).members).toEqual([w.member])
    expect(await search('a-rather-long-local-part-for-searching@wrongtip')).toEqual({ total: 0, members: [] })
  })

  it('pages distinct accounts with an exact total, over index pages that split, each in the compact encoding', async () => {
    const other = `paged${randomBytes(4).toString('hex')}`
    await seedDemo(t.redis, t.services.ciphers, other, 700)
    const index = t.services.supportIndex
    const all = async (q: string) => {
      const seen: string[] = []
      let total = -1
      for (let offset = 0; total < 0 || offset < total; offset += 50) {
        const page = await index.page(other, { search: q, sort: 'recent', offset, limit: 50 })
        total = page.total
        seen.push(...page.members)
        if (page.members.length === 0) break
      }
      return { total, seen }
    }
    // Every seeded email starts with demo- (and the company words never do): 700 distinct.
    const demo = await all('demo')
    expect(demo.total).toBe(700)
    expect(new Set(demo.seen).size).toBe(700)
    // Companies cycle through 12 names: Acme is every twelfth account.
    const acme = await all('acme')
    expect(acme.total).toBe(Math.ceil(700 / 12))
    expect(new Set(acme.seen).size).toBe(acme.total)
    const emails = await t.services.users.emails(
      other,
      acme.seen.map((m) => m.split(':')[0]!),
    )
    expect(emails.every((e) => /^demo-\d{5}@/.test(e!))).toBe(true)

    const raw = new Redis(REDIS_URL)
    try {
      const dir = `${t.prefix}${supportWordsKey(other)}`
      const pages = await raw.zrange(dir, '0', '-1')
      expect(pages.length).toBeGreaterThan(10)
      for (const m of pages) {
        const key = `${dir}:${m.slice(m.indexOf('\0\0') + 2)}`
        expect(await raw.object('ENCODING', key)).toBe('listpack')
        expect(await raw.zcard(key)).toBeLessThanOrEqual(PAGE_MAX)
      }
    } finally {
      raw.disconnect()
    }

    // Above its exact limit a search pages by entries: every account once, in pages of 50.
    const broad = new WordIndex(t.redis, 100)
    const paged: string[] = []
    for (let offset = 0; offset < 700; offset += 50) {
      const page = await broad.search(other, 'demo', offset, 50)
      expect(page.total).toBe(700)
      paged.push(...page.members)
    }
    expect(new Set(paged).size).toBe(700)
    expect(await broad.search(other, 'acme', 0, 100)).toEqual(await index.words.search(other, 'acme', 0, 100))

    const byEmail = await index.page(other, { sort: 'email', offset: 0, limit: 700 })
    expect(byEmail.total).toBe(700)
    const ordered = await t.services.users.emails(
      other,
      byEmail.members.map((m) => m.split(':')[0]!),
    )
    expect(ordered).toEqual([...ordered].sort())
    const deep = await index.page(other, { sort: 'email', offset: 650, limit: 50 })
    expect(deep.members).toEqual(byEmail.members.slice(650, 700))
  })
})

describe('the balance order', () => {
  it('orders by amount, negatives and unread accounts included, both ways and across index pages', async () => {
    const other = `bal${randomBytes(4).toString('hex')}`
    await seedDemo(t.redis, t.services.ciphers, other, 400)
    const index = t.services.supportIndex
    const [{ members }] = [await index.page(other, { sort: 'recent', offset: 0, limit: 400 })]
    const refs = members.map((m) => ({
      tenantId: other,
      userId: m.split(':')[0]!,
      provider: m.split(':')[1] as ProviderId,
    }))
    // Three more kinds of reads: negative, a change of amount, and an account never read.
    await index.recordBalance(refs[0]!, { balance: { amount: -12.25, currency: 'EUR' }, readAt: Date.now() })
    await index.recordBalance(refs[1]!, { balance: { amount: 5, currency: 'EUR' }, readAt: Date.now() })
    await index.recordBalance(refs[1]!, { balance: { amount: 1e6, currency: 'EUR' }, readAt: Date.now() })
    await index.removeConnection(refs[2]!) // out of the order, then back unread (a reconnect)
    await index.indexConnection(refs[2]!, ['x@y.test'])
    const amountOf = async (list: string[]) =>
      (await index.entries(other, list)).map((e) => e.balance?.amount ?? -Infinity)
    const up: string[] = []
    for (let offset = 0; offset < 400; offset += 50)
      up.push(...(await index.page(other, { sort: 'balance_asc', offset, limit: 50 })).members)
    expect(new Set(up).size).toBe(400)
    const amounts = await amountOf(up)
    expect(amounts).toEqual([...amounts].sort((a, b) => a - b))
    expect(up[0]).toBe(members[2])
    expect(amounts[1]).toBe(-12.25)
    expect(up[399]).toBe(members[1])
    const down = await index.page(other, { sort: 'balance_desc', offset: 350, limit: 50 })
    expect(down.total).toBe(400)
    expect(down.members).toEqual(up.slice(0, 50).reverse())
  })
})

describe('nothing stale after a change', () => {
  it('drops a disconnected account from search, balance order and email order at once', async () => {
    const c = await connect('carol@adventure.test', 'Adventure Works')
    await readBalance(c.ref, 'carol@adventure.test', 'Adventure Works', 'Litware')
    expect((await search('litware')).members).toEqual([c.member])
    expect((await sorted('balance_asc')).members).toContain(c.member)
    await t.services.connections.disconnect(c.ref)
    expect(await search('litware')).toEqual({ total: 0, members: [] })
    expect(await search('carol')).toEqual({ total: 0, members: [] })
    expect((await sorted('balance_asc')).members).not.toContain(c.member)
    expect((await sorted('email')).members).not.toContain(c.member)
  })

  it('keeps a balance read that ends after the disconnect from bringing the account back', async () => {
    const d = await connect('dave@tailspin.test', 'Tailspin')
    await t.services.connections.disconnect(d.ref)
    await readBalance(d.ref, 'dave@tailspin.test', 'Tailspin', 'Proseware', 99)
    expect(await search('dave')).toEqual({ total: 0, members: [] })
    expect(await search('proseware')).toEqual({ total: 0, members: [] })
    expect((await sorted('balance_asc')).members).not.toContain(d.member)
    expect(await t.services.supportIndex.entries(tenantId, [d.member])).toEqual([{}])
  })

  it('finds a reconnected account again under its new account name only', async () => {
    const e = await connect('erin@fourthcoffee.test', 'Old Roastery')
    await t.services.connections.disconnect(e.ref)
    await connect('erin@fourthcoffee.test', 'New Brewery')
    expect((await search('brewery')).members).toEqual([e.member])
    expect(await search('roastery')).toEqual({ total: 0, members: [] })
    expect((await sorted('email')).members).toContain(e.member)
  })

  it('keeps the company last read when an account reconnects in place', async () => {
    const f = await connect('frank@margie.test', 'Margie Travel')
    await readBalance(f.ref, 'frank@margie.test', 'Margie Travel', 'Blue Yonder')
    await connect('frank@margie.test', 'Margie Travel 2')
    expect((await search('yonder')).members).toEqual([f.member])
    expect((await search('travel 2')).members).toEqual([f.member])
  })

  it('removes every account of a removed user from search', async () => {
    const g = await connect('grace@lucerne.test', 'Lucerne')
    await connect('grace@lucerne.test', 'Lucerne Vonage', 'nexmo')
    expect((await search('grace')).total).toBe(2)
    await t.services.connections.removeUser(tenantId, g.user.id)
    await t.services.users.remove(g.user)
    expect(await search('grace')).toEqual({ total: 0, members: [] })
    expect(await search('lucerne')).toEqual({ total: 0, members: [] })
  })

  it('finds an account by the name its owner gave it, and no longer once the name is cleared', async () => {
    const k = await connect('kim@woodgrove.test', 'Woodgrove')
    expect(await t.services.connections.rename(k.ref, 'Marketing Alerts')).toBe(true)
    expect((await search('alerts')).members).toEqual([k.member])
    expect(await t.services.connections.rename(k.ref, '')).toBe(true)
    expect(await search('alerts')).toEqual({ total: 0, members: [] })
    expect((await search('woodgrove')).members).toEqual([k.member])
  })

  it('keeps a search’s matches for its next pages, and retires them when any words change', async () => {
    const before = await search('northwind')
    expect(before.total).toBeGreaterThan(0)
    expect((await keysUnder(t.prefix)).some((k) => k.includes(':support:words:q:'))).toBe(true)
    const j = await connect('judy@northwind.test', 'Judy')
    const after = await search('northwind')
    expect(after.total).toBe(before.total + 1)
    expect(after.members).toContain(j.member)
    await t.services.connections.disconnect(j.ref)
    expect(await search('northwind')).toEqual(before)
  })

  it('leaves one consistent set of words when one account is re-indexed concurrently', async () => {
    const h = await connect('heidi@alpine.test', 'Alpine')
    const companies = Array.from({ length: 8 }, (_, i) => `Company${i}x`)
    await Promise.all(
      companies.map((c) =>
        t.services.supportIndex.indexConnection(h.ref, ['heidi@alpine.test', 'Alpine', c]),
      ),
    )
    const words = await t.services.supportIndex.words.words(h.ref)
    const matched = []
    for (const c of companies) if ((await search(c)).total === 1) matched.push(c.toLowerCase())
    expect(matched).toHaveLength(1)
    expect(words).toContain(matched[0])
  })
})

describe('an install from before the word index', () => {
  it('gets every stored connection indexed once at start-up, and loses the old search set', async () => {
    const old = `old${randomBytes(4).toString('hex')}`
    const user = await t.services.users.create({
      tenantId: old,
      email: 'ivan@oldinstall.test',
      passwordHash: 'x',
      role: 'member',
    })
    const ref: ConnectionRef = { tenantId: old, userId: user.id, provider: 'sms77' }
    const member = `${user.id}:sms77`
    // Stored as the store did it, with no one listening, and the old full-scan search set.
    await t.services.store.saveGrant(ref, grant('Old Install Ltd'))
    const read = { balance: { amount: 12.5, currency: 'EUR' }, company: 'Initech', readAt: Date.now() }
    await t.redis.hset(supportEntriesKey(old), member, JSON.stringify(read))
    await t.redis.zadd(supportBalanceKey(old), 12.5, member)
    await t.redis.zadd(supportSearchKey(old), 0, `ivan@oldinstall.test old install ltd\0${member}`)
    await t.redis.hset(supportSearchTextKey(old), member, 'ivan@oldinstall.test old install ltd')
    const find = (q: string) =>
      t.services.supportIndex.page(old, { search: q, sort: 'recent', offset: 0, limit: 5 })
    expect(await find('ivan')).toEqual({ total: 0, members: [] })

    const deps = {
      redis: t.redis,
      index: t.services.supportIndex,
      users: t.services.users,
      connections: t.services.store,
    }
    expect(await backfillWordIndexOnce(deps)).toBeGreaterThanOrEqual(1)
    for (const q of ['ivan', 'oldinstall', 'install ltd', 'initech'])
      expect(await find(q)).toEqual({ total: 1, members: [member] })
    expect(
      await t.redis.exists(supportSearchKey(old), supportSearchTextKey(old), supportEntriesKey(old)),
    ).toBe(0)
    expect(await t.services.supportIndex.entries(old, [member])).toEqual([read])
    const byBalance = await t.services.supportIndex.page(old, { sort: 'balance_asc', offset: 0, limit: 5 })
    expect(byBalance).toEqual({ total: 1, members: [member] })
    expect(await t.redis.exists(supportBalanceKey(old))).toBe(0)
    expect(await backfillWordIndexOnce(deps)).toBeNull()
  })
})

describe('members as the indexes store them', () => {
  it('packs the usual member to 18 characters and back, and keeps any other shape as it is', () => {
    for (const provider of ['sms77', 'nexmo']) {
      const member = `${randomBytes(12).toString('hex')}:${provider}`
      const packed = packMember(member)
      expect(packed).toHaveLength(18)
      expect(packed.slice(0, 2)).toBe(member.slice(0, 2))
      expect(packed).not.toMatch(/[:\0]/)
      expect(unpackMember(packed)).toBe(member)
    }
    for (const odd of ['u1:sms77', `${'a'.repeat(24)}:other`, 'ABCDEF0123456789abcdef01:sms77'])
      expect(unpackMember(packMember(odd))).toBe(odd)
  })
})

describe('search without accents (issue 29)', () => {
  it('finds “Bäckerei” by “back” and “straße” by “strasse”, and still by the accented words', async () => {
    const baker = await connect('order@brot-fold.example', 'Bäckerei Müller')
    await readBalance(baker.ref, 'order@brot-fold.example', 'Bäckerei Müller', 'Hauptstraße Öfen GmbH')
    for (const q of ['back', 'BÄCK', 'backerei mu', 'muller', 'müll', 'hauptstrasse', 'hauptstraße', 'ofen'])
      expect((await search(q)).members, q).toEqual([baker.member])
    expect((await search('backerei mx')).members).toEqual([])
  })
})
