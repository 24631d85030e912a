import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { CONFIG_VARIABLES } from '../src/config/config.js'

/**
 * docker-compose.yml passes every variable of the configuration schema to the app (so a new
 * one cannot be forgotten again, as SIGNUP, SMTP_URL and MAIL_FROM once were), each from
 * `.env` as it is, except the few the bundled set-up fixes on purpose.
 */
const ROOT = path.resolve(import.meta.dirname, '..')

/** Fixed by the compose set-up, each for a reason docs/operations.md gives. */
const NOT_PASSED: Record<string, string> = {
  PORT: 'the image listens on 3000, published as 3000',
  HOST: 'the image listens on 0.0.0.0',
  REDIS_SENTINELS: 'compose runs its own single Redis',
  REDIS_SENTINEL_NAME: 'compose runs its own single Redis',
  REDIS_CLUSTER_NODES: 'compose runs its own single Redis',
  SANDBOX_PORT: 'only `npm run sandbox` uses it',
}
/** Passed, with a value of the compose set-up's own when .env says nothing. */
const WITH_DEFAULT: Record<string, string> = {
  NODE_ENV: '${NODE_ENV:-development}',
  REDIS_URL: 'redis://redis:6379',
  DEV_SECRETS_FILE: '${DEV_SECRETS_FILE:-/app/data/dev-secrets.json}',
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: { app: { environment: Record<string, string>; volumes?: string[] } }
}
const environment = compose.services.app.environment

describe('docker-compose.yml and the configuration schema', () => {
  it('passes every configuration variable through from .env', () => {
    expect(CONFIG_VARIABLES).toEqual(
      expect.arrayContaining(['SIGNUP', 'SMTP_URL', 'SMTP_URL_FILE', 'MAIL_FROM', 'SESSION_SECRET_FILE']),
    )
    for (const name of CONFIG_VARIABLES) {
      if (name in NOT_PASSED) {
        expect(environment, `${name}: ${NOT_PASSED[name]}`).not.toHaveProperty(name)
        continue
      }
      expect(environment[name], name).toBe(WITH_DEFAULT[name] ?? `\${${name}:-}`)
    }
  })

  it('passes the OpenTelemetry variables, the SDK’s own too', () => {
    for (const name of [
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_EXPORTER_OTLP_HEADERS',
      'OTEL_SERVICE_NAME',
      'OTEL_RESOURCE_ATTRIBUTES',
      'OTEL_TRACES_SAMPLER',
    ])
      expect(environment[name], name).toBe(`\${${name}:-}`)
    // Nothing passed that the app and SDK do not know.
    for (const name of Object.keys(environment))
      expect(CONFIG_VARIABLES.includes(name) || name.startsWith('OTEL_'), name).toBe(true)
  })

  it('keeps generated secrets on a named volume, and .env settings reach the app (`docker-compose config`)', () => {
    expect(compose.services.app.volumes).toContain('app-data:/app/data')
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-compose-env-'))
    try {
      for (const f of ['docker-compose.yml', 'Dockerfile']) cpSync(path.join(ROOT, f), path.join(dir, f))
      writeFileSync(
        path.join(dir, '.env'),
        'SIGNUP=closed\nMAIL_FROM=Ops <ops@example.com>\nSMTP_URL_FILE=/run/secrets/smtp_url\n' +
          'OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318\n',
      )
      const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
        cwd: dir,
        env: { PATH: process.env.PATH, HOME: dir },
        encoding: 'utf8',
        timeout: 60_000,
      })
      expect(res.status, res.stderr).toBe(0)
      expect(res.stdout).toMatch(/^ +SIGNUP: closed$/m)
      expect(res.stdout).toMatch(/^ +MAIL_FROM: Ops <ops@example.com>$/m)
      expect(res.stdout).toMatch(/^ +SMTP_URL_FILE: \/run\/secrets\/smtp_url$/m)
      expect(res.stdout).toMatch(/^ +OTEL_EXPORTER_OTLP_ENDPOINT: http:\/\/collector:4318$/m)
      expect(res.stdout).toMatch(/^ +DEV_SECRETS_FILE: \/app\/data\/dev-secrets\.json$/m)
      expect(res.stdout).toMatch(/- app-data:\/app\/data/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
