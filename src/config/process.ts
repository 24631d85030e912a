import { existsSync } from 'node:fs'
import path from 'node:path'
import { loadConfig, type Config } from './config.js'
import { PROJECT_ROOT } from './paths.js'

/**
 * The configuration of a process started from the project (`npm run dev`, `npm start`, the
 * image, `npm run admin`), read the one same way, so the operator CLI uses the keys the
 * server uses: `.env` in the project folder first (variables already set win), then the
 * environment with its `*_FILE` secrets, and outside production the generated development
 * secrets (`.switchboard-dev-secrets.json`, or DEV_SECRETS_FILE).
 */
export function loadProcessConfig(root = PROJECT_ROOT): Config {
  const dotEnv = path.join(root, '.env')
  if (existsSync(dotEnv)) process.loadEnvFile(dotEnv)
  return loadConfig(undefined, { devSecretsFile: path.join(root, '.switchboard-dev-secrets.json') })
}
