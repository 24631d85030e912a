import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  signUpAndConnectSms77,
  startAppProcess,
  waitUntilServing,
  type AppProcess,
} from './helpers/app-process.js'
import { dropPrefix, uniquePrefix } from './helpers/redis.js'
import { freePort } from './helpers/redis-server.js'

/**
 * `npm run dev` (or the image's development default) restarted, as a file save or
 * `docker compose restart app` does: the real entry point twice on one port, with no
 * secrets set, the generated ones kept in DEV_SECRETS_FILE (the image's data volume) and
 * the embedded sandbox's grants in Redis. The person stays signed in and the sandbox
 * connection keeps working, refreshed by the restarted sandbox.
 */
const prefix = uniquePrefix('dev-restart')
const dir = mkdtempSync(path.join(tmpdir(), 'sb-dev-restart-'))
const secretsFile = path.join(dir, 'dev-secrets.json')
const running: AppProcess[] = []

afterAll(async () => {
  for (const app of running) if (app.proc.exitCode === null) app.proc.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
  await dropPrefix(prefix)
})

async function boot(port: number): Promise<AppProcess> {
  const app = startAppProcess(port, {
    NODE_ENV: 'development',
    REDIS_KEY_PREFIX: prefix,
    DEV_SECRETS_FILE: secretsFile,
    // Shorter than the 60 s refresh margin: every page load refreshes the sms77 token.
    SANDBOX_TOKEN_TTL: '5',
  })
  running.push(app)
  await waitUntilServing(app)
  return app
}

async function stop(app: AppProcess): Promise<void> {
  app.proc.kill('SIGTERM')
  expect(await app.exit).toBe(0)
}

describe('a development restart', () => {
  it('keeps the session, the stored tokens and the sandbox grant', { timeout: 120_000 }, async () => {
    const port = await freePort()
    const first = await boot(port)
    expect(first.output()).toContain(`Using development secrets from ${secretsFile}`)
    const { agent } = await signUpAndConnectSms77(first.base, 'devrestart')
    const before = await agent.get('/dashboard').expect(200)
    expect(before.text).toContain('john.doe@acme.inc')
    await stop(first)

    const stored = JSON.parse(readFileSync(secretsFile, 'utf8')) as Record<string, string>
    expect(Object.keys(stored).sort()).toEqual(['SESSION_SECRET', 'TOKEN_ENCRYPTION_KEY'])
    expect(statSync(secretsFile).mode & 0o777).toBe(0o600)

    const second = await boot(port)
    const after = await agent.get('/dashboard').expect(200)
    expect(after.text).toContain('john.doe@acme.inc')
    expect(after.text).not.toContain('needs reconnect')
    expect(after.text).not.toContain('could not be read')
    expect(after.text).not.toContain('class="panel-error"')
    await stop(second)
  })
})
