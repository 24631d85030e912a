import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { REDIS_URL } from './redis.js'
import { waitFor } from './redis-server.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface AppProcess {
  proc: ChildProcess
  base: string
  output(): string
  exit: Promise<number | null>
}

/**
 * The real entry point (src/main.ts) in its own process on `port`, with our environment
 * less npm's per-run settings, NODE_ENV and any Redis or provider settings of the caller's
 * shell, plus `env`.
 */
export function startAppProcess(port: number, env: Record<string, string>): AppProcess {
  const full: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env))
    if (!/^(npm_|NODE_ENV$|REDIS_|SMS77_|NEXMO_)/.test(k)) full[k] = v
  Object.assign(full, {
    PORT: String(port),
    HOST: '127.0.0.1',
    BASE_URL: `http://127.0.0.1:${port}`, // vitest exports BASE_URL=/, always override it
    REDIS_URL,
    LOG_LEVEL: 'info',
    ...env,
  })
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: full })
  let out = ''
  proc.stdout?.on('data', (d) => (out += String(d)))
  proc.stderr?.on('data', (d) => (out += String(d)))
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  return { proc, base: `http://127.0.0.1:${port}`, output: () => out, exit }
}

export async function waitUntilServing(app: AppProcess): Promise<void> {
  await waitFor(
    'the app to answer /healthz',
    async () => (await fetch(`${app.base}/healthz`)).ok,
    20_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${app.output()}`)
  })
}
