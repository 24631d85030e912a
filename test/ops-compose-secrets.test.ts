import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '..')

function composeConfig(files: string[]): { status: number | null; stdout: string; stderr: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-compose-secrets-'))
  try {
    for (const f of [...files, 'Dockerfile']) cpSync(path.join(ROOT, f), path.join(dir, f))
    const args = [...files.flatMap((f) => ['-f', f]), 'config']
    const env = { PATH: process.env.PATH, HOME: dir }
    return spawnSync('docker-compose', args, { cwd: dir, env, encoding: 'utf8', timeout: 60_000 })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe('docker-compose.production.yml (issue 16: Docker secrets)', () => {
  it('passes every *_FILE and WEBHOOK_ALLOW_PRIVATE through the base file', () => {
    const res = composeConfig(['docker-compose.yml'])
    expect(res.status, res.stderr).toBe(0)
    for (const name of [
      'SESSION_SECRET_FILE',
      'TOKEN_ENCRYPTION_KEY_FILE',
      'SMS77_CLIENT_SECRET_FILE',
      'NEXMO_CONSUMER_SECRET_FILE',
      'WEBHOOK_ALLOW_PRIVATE',
    ])
      expect(res.stdout).toMatch(new RegExp(`^ +${name}: ''$`, 'm'))
  })

  it('runs in production on secret files and gives up after five failed starts', () => {
    const res = composeConfig(['docker-compose.yml', 'docker-compose.production.yml'])
    expect(res.status, res.stderr).toBe(0)
    expect(res.stdout).toMatch(/NODE_ENV: production/)
    expect(res.stdout).toMatch(/SESSION_SECRET_FILE: \/run\/secrets\/session_secret/)
    expect(res.stdout).toMatch(/TOKEN_ENCRYPTION_KEY_FILE: \/run\/secrets\/token_encryption_key/)
    expect(res.stdout).toMatch(/restart: on-failure:5/)
    expect(res.stdout).toMatch(/stop_grace_period: 30s/)
    expect(res.stdout).toMatch(/file: .*secrets\/session_secret/)
  })
})
