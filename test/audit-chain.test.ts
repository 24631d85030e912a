import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { AuditLog } from '../src/audit/audit-log.js'
import { signUp, startTestApp, type TestApp } from './helpers/app.js'
import { REDIS_URL } from './helpers/redis.js'
import { auditKey } from '../src/redis/keys.js'
import { entryHash } from '../src/audit/audit-chain.js'

/** Issue 27: an audit log that proves itself (a hash chain per organisation), and its export. */
const run = promisify(execFile)
let t: TestApp

beforeAll(async () => {
  t = await startTestApp({ name: 'audit-chain' })
})
afterAll(() => t.close())

const entry = (n: number) => ({
  actorId: `u${n}`,
  actorEmail: `person${n}@chain.test`,
  action: 'admin.settings_changed' as const,
  detail: `change number ${n}`,
  accounts: [],
})

async function verifyCli(tenant: string) {
  const { BASE_URL: _vite, ...env } = process.env
  try {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/boot/admin-cli.ts', 'verify-audit', '--tenant', tenant],
      {
        env: { ...env, REDIS_URL, REDIS_KEY_PREFIX: t.prefix },
        timeout: 60_000,
      },
    )
    return { stdout: stdout.trim(), code: 0 }
  } catch (e) {
    const err = e as { stdout: string; code: number }
    return { stdout: err.stdout.trim(), code: err.code }
  }
}

/** Rewrites the stream as an operator with Redis access could, changing one entry's detail. */
async function tamper(tenantId: string, index: number): Promise<string> {
  const key = auditKey(tenantId)
  const all = await t.redis.xrange(key, '-', '+')
  await t.redis.del(key)
  for (const [i, [id, flat]] of all.entries()) {
    const f = [...flat]
    if (i === index) f[f.indexOf('detail') + 1] = 'nothing to see here'
    await t.redis.xadd(key, id, ...f)
  }
  return all[index]![0]
}

describe('the audit chain', () => {
  it('keeps one chain when many write at once', async () => {
    const tenantId = `chain-${randomBytes(3).toString('hex')}`
    // Four instances (each appends one at a time per organisation) racing for the chain's head.
    const logs = [t.services.audit, ...Array.from({ length: 3 }, () => new AuditLog(t.redis))]
    await Promise.all(Array.from({ length: 40 }, (_, i) => logs[i % 4]!.record(tenantId, entry(i))))
    expect(await t.services.audit.verify(tenantId)).toEqual({ ok: true, entries: 40 })
    const raw = await t.redis.xrange(auditKey(tenantId), '-', '+')
    const prevs = raw.map(([, f]) => f[f.indexOf('prev') + 1])
    expect(new Set(prevs).size).toBe(40) // no two entries claim the same predecessor: no fork
    expect(prevs[0]).toBe('')
    const fields = (i: number) =>
      Object.fromEntries(
        Array.from({ length: raw[i]![1].length / 2 }, (_, k) => [raw[i]![1][2 * k]!, raw[i]![1][2 * k + 1]!]),
      )
    expect(prevs[1]).toBe(entryHash(fields(0)))
  })

  it('writes a burst of entries in few appends, in the order they came, holding none back', async () => {
    const tenantId = `burst-${randomBytes(3).toString('hex')}`
    const log = new AuditLog(t.redis)
    const evals = vi.spyOn(t.redis, 'eval')
    try {
      // An API client's burst: 500 calls audited at once on one instance.
      await Promise.all(Array.from({ length: 500 }, (_, i) => log.record(tenantId, entry(i))))
      // Each append takes what arrived while the one before was written (one at a time each).
      expect(evals.mock.calls.length).toBeLessThanOrEqual(10)
    } finally {
      evals.mockRestore()
    }
    expect(await log.verify(tenantId)).toEqual({ ok: true, entries: 500 })
    const raw = await t.redis.xrange(auditKey(tenantId), '-', '+')
    expect(raw.map(([, f]) => f[f.indexOf('detail') + 1])).toEqual(
      Array.from({ length: 500 }, (_, i) => `change number ${i}`),
    )
  })

  it('names the entry changed by hand, also from the CLI', async () => {
    const tenantId = (await t.services.tenants.create(`Chain ${randomBytes(3).toString('hex')}`)).id
    for (let i = 0; i < 6; i++) await t.services.audit.record(tenantId, entry(i))
    expect(await verifyCli(tenantId)).toEqual({ stdout: 'ok 6 entries', code: 0 })
    const changed = await tamper(tenantId, 2)
    const check = await t.services.audit.verify(tenantId)
    expect(check).toMatchObject({ ok: false, id: changed })
    const cli = await verifyCli(tenantId)
    expect(cli.code).toBe(1)
    expect(cli.stdout).toMatch(
      new RegExp(`^entry ${changed} \\(.+, admin\\.settings_changed\\) does not match the chain$`),
    )
  })

  it('finds a changed or removed newest entry', async () => {
    const tenantId = `chain-${randomBytes(3).toString('hex')}`
    for (let i = 0; i < 3; i++) await t.services.audit.record(tenantId, entry(i))
    const last = await tamper(tenantId, 2)
    expect(await t.services.audit.verify(tenantId)).toMatchObject({ ok: false, id: last })
    await t.redis.xdel(auditKey(tenantId), last)
    expect((await t.services.audit.verify(tenantId)).ok).toBe(false)
  })
})

describe('the audit export', () => {
  it('streams CSV and JSON with audit codes, the export itself recorded first', async () => {
    const { agent, email } = await signUp(t.app, 'Export Audit Org')
    const tenantId = (await t.services.users.findForLogin(email))!.user.tenantId
    await t.services.audit.record(tenantId, { ...entry(1), detail: 'has, a "comma"' })
    const page = await agent.get('/admin/audit').expect(200)
    expect(page.text).toContain('Export CSV')
    expect(page.text).toContain('Export JSON')
    const csv = await agent
      .get('/admin/audit/export.csv')
      .expect(200)
      .expect('content-type', /text\/csv/)
    const lines = csv.text.trim().split('\n')
    expect(lines[0]).toBe('id,at,actorId,actorEmail,action,detail,accounts,prev')
    expect(lines[1]).toContain('admin.audit_exported')
    expect(csv.text).toContain('"has, a ""comma"""')
    const json = await agent.get('/admin/audit/export.json').expect(200).expect('content-type', /json/)
    const rows = JSON.parse(json.text) as { action: string; prev: string | null }[]
    expect(rows[0]!.action).toBe('admin.audit_exported')
    expect(rows.map((r) => r.action)).toContain('admin.settings_changed')
    expect(rows.filter((r) => r.action === 'admin.audit_exported')).toHaveLength(2)
    expect(await t.services.audit.verify(tenantId)).toMatchObject({ ok: true })
  })
})
