import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'

/**
 * Where secrets come from besides the environment itself: `NAME_FILE` (Docker secrets),
 * and outside production a git-ignored file of generated development secrets. Called by
 * config.ts only; neither function ever puts a secret's value into an error.
 */

type Env = Record<string, string | undefined>

/** Every secret that may be given as `NAME_FILE` instead of `NAME`. */
export const FILE_SECRETS = [
  'SESSION_SECRET',
  'TOKEN_ENCRYPTION_KEY',
  'SMS77_CLIENT_SECRET',
  'NEXMO_CONSUMER_SECRET',
  'SMTP_URL',
] as const

/**
 * The environment with each `NAME_FILE` read into `NAME` (one trailing newline dropped, as
 * `echo` and most editors add one). Problems come back as lines naming the variable.
 */
export function readSecretFiles(env: Env): { env: Env; errors: string[] } {
  const out: Env = { ...env }
  const errors: string[] = []
  for (const name of FILE_SECRETS) {
    const file = env[`${name}_FILE`]
    if (!file) continue
    if (env[name]) {
      errors.push(`${name}_FILE: set either ${name} or ${name}_FILE, not both`)
      continue
    }
    try {
      out[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
      if (!out[name]) errors.push(`${name}_FILE: the file ${file} is empty`)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable'
      errors.push(`${name}_FILE: cannot read ${file} (${code}); is the secret mounted?`)
    }
  }
  return { env: out, errors }
}

export interface DevSecrets {
  SESSION_SECRET: string
  TOKEN_ENCRYPTION_KEY: string
}

/**
 * Development secrets kept across restarts: read from `file`, or generated once and
 * written there (mode 0600), so a restart of `npm run dev` keeps people signed in and
 * stored tokens readable. Never used in production, nor by tests (which pass no file).
 * Null when the file cannot be read or written.
 */
export function devSecrets(file: string): DevSecrets | null {
  try {
    if (existsSync(file)) {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>
      if (!stored.SESSION_SECRET || !stored.TOKEN_ENCRYPTION_KEY) return null
      return { SESSION_SECRET: stored.SESSION_SECRET, TOKEN_ENCRYPTION_KEY: stored.TOKEN_ENCRYPTION_KEY }
    }
    const fresh: DevSecrets = {
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    }
    writeFileSync(file, JSON.stringify(fresh, null, 2) + '\n', { mode: 0o600, flag: 'wx' })
    return fresh
  } catch {
    // A read-only folder (the container) or a damaged file: per-process secrets, as before.
    return null
  }
}

/**
 * The environment with its secret files read and, outside production when a
 * `devSecretsFile` is given, missing session and token secrets taken from it.
 */
export function withSecrets(
  raw: Env,
  devSecretsFile?: string,
): { env: Env; errors: string[]; warnings: string[] } {
  const { env, errors } = readSecretFiles(raw)
  const warnings: string[] = []
  const missing = !env.SESSION_SECRET || !env.TOKEN_ENCRYPTION_KEY
  if (!errors.length && devSecretsFile && env.NODE_ENV !== 'production' && missing) {
    const dev = devSecrets(devSecretsFile)
    if (dev) {
      env.SESSION_SECRET ??= dev.SESSION_SECRET
      env.TOKEN_ENCRYPTION_KEY ??= dev.TOKEN_ENCRYPTION_KEY
      warnings.push(
        `Using development secrets from ${devSecretsFile} (kept across restarts; not for production)`,
      )
    } else warnings.push(`Could not read or create ${devSecretsFile}: secrets last for this process only`)
  }
  return { env, errors, warnings }
}
