import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import supertest from 'supertest'
import { csrfFrom } from './app.js'
import { pathOf, pressConsent } from './consent.js'
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

/** Signs up over HTTP at a running app and connects sms77 through its provider's consent page. */
export async function signUpAndConnectSms77(base: string, tag: string) {
  const agent = supertest.agent(base)
  const email = `${tag}-${randomBytes(4).toString('hex')}@example.test`
  const signup = await agent.get('/signup').expect(200)
  await agent
    .post('/signup')
    .type('form')
    .send({
      _csrf: csrfFrom(signup.text),
      organization: `${tag} org`,
      email,
      password: 'correct horse battery',
    })
    .expect(303)
  const dash = await agent.get('/dashboard').expect(200)
  const connect = await agent
    .post('/connect/sms77')
    .type('form')
    .send({ _csrf: csrfFrom(dash.text), scope: 'balance' })
    .expect(303)
  const consent = await pressConsent(connect.headers.location!, 'Allow')
  await agent.get(pathOf(consent.location)).expect(303).expect('location', '/dashboard')
  return { agent, email }
}
