import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { dropPrefix, REDIS_URL, uniquePrefix } from './helpers/redis.js'

const run = promisify(execFile)
const prefix = uniquePrefix('admin-cli')
// The CLI reads the development secrets as the server does: this file's own, not the checkout's.
const secretsDir = mkdtempSync(path.join(tmpdir(), 'sb-admin-cli-'))
afterAll(async () => {
  rmSync(secretsDir, { recursive: true, force: true })
  await dropPrefix(prefix)
})

async function admin(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    // Vitest exports Vite's BASE_URL=/ into the environment; the CLI would rightly reject it.
    const { BASE_URL: _vite, ...env } = process.env
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/boot/admin-cli.ts', ...args],
      {
        env: {
          ...env,
          REDIS_URL,
          REDIS_KEY_PREFIX: prefix,
          DEV_SECRETS_FILE: path.join(secretsDir, 'dev-secrets.json'),
        },
      },
    )
    return { stdout: stdout.trim(), stderr, code: 0 }
  } catch (e) {
    const err = e as { stdout: string; stderr: string; code: number }
    return { stdout: err.stdout.trim(), stderr: err.stderr, code: err.code }
  }
}

describe('operator CLI', () => {
  it('creates a tenant, adds users with roles, lists them, and rejects bad input with usage', async () => {
    const created = await admin('create-tenant', '--name', 'Initech Ltd')
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    expect(created.stdout).toMatch(/^initech-ltd/)
    const slug = created.stdout
    expect(
      (
        await admin(
          'add-user',
          '--tenant',
          slug,
          '--email',
          'peter@initech.test',
          '--password',
          'tps reports!',
          '--role',
          'support',
        )
      ).code,
    ).toBe(0)
    expect(
      (
        await admin(
          'add-user',
          '--tenant',
          slug,
          '--email',
          'bill@initech.test',
          '--password',
          'yeahhh okay',
          '--role',
          'admin',
        )
      ).code,
    ).toBe(0)
    const list = await admin('list-users', '--tenant', slug)
    expect(list.stdout.split('\n').map((l) => l.split('\t').slice(0, 2))).toEqual([
      ['peter@initech.test', 'support'],
      ['bill@initech.test', 'admin'],
    ])
    const bad = await admin(
      'add-user',
      '--tenant',
      slug,
      '--email',
      'nope',
      '--password',
      'x',
      '--role',
      'root',
    )
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--email/)
    expect(bad.stderr).toMatch(/--role/)
    expect(bad.stderr).toMatch(/usage: npm run admin/)
    const missing = await admin(
      'add-user',
      '--tenant',
      'no-such-tenant',
      '--email',
      'a@b.test',
      '--password',
      'long enough 1',
      '--role',
      'member',
    )
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/no tenant with slug no-such-tenant/)
  }, 60_000)

  it('has --help for the tool and each command, lists tenants, refuses duplicate names, and names flags (issue 15)', async () => {
    const help = await admin('--help')
    expect(help.code).toBe(0)
    for (const c of ['create-tenant', 'list-tenants', 'add-user', 'list-users'])
      expect(help.stdout).toContain(c)
    const one = await admin('create-tenant', '--help')
    expect(one.code).toBe(0)
    expect(one.stdout).toMatch(/^usage: npm run admin -- create-tenant --name NAME \[--allow-duplicate\]/)
    const missing = await admin('create-tenant')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/^error: --name is required$/m)
    expect(missing.stderr).not.toMatch(/Invalid input|expected string/)
    const first = await admin('create-tenant', '--name', 'Umbrella Corp')
    expect(first.code).toBe(0)
    const dup = await admin('create-tenant', '--name', 'umbrella corp')
    expect(dup.code).toBe(1)
    expect(dup.stderr).toContain(`an organisation named "umbrella corp" already exists (${first.stdout})`)
    const allowed = await admin('create-tenant', '--name', 'umbrella corp', '--allow-duplicate')
    expect(allowed.code).toBe(0)
    expect(allowed.stdout).not.toBe(first.stdout)
    await admin(
      'add-user',
      '--tenant',
      first.stdout,
      '--email',
      'alice@umbrella.test',
      '--password',
      'long enough 12',
      '--role',
      'admin',
    )
    const list = await admin('list-tenants')
    expect(list.code).toBe(0)
    const rows = list.stdout.split('\n').map((l) => l.split('\t'))
    expect(rows).toEqual(
      expect.arrayContaining([
        [first.stdout, 'Umbrella Corp', '1', '0'],
        [allowed.stdout, 'umbrella corp', '0', '0'],
      ]),
    )
  }, 60_000)
})
