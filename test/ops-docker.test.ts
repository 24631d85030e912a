import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dropPrefix, REDIS_URL } from './helpers/redis.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const DIST_MAIN = path.join(ROOT, 'dist', 'src', 'main.js')

/** The environment of a child process: ours, less npm's per-run settings and NODE_ENV. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_ENV') env[k] = v
  return { ...env, ...extra }
}

// ---------------------------------------------------------------------------------------
// Dockerfile and .dockerignore, read as text
// ---------------------------------------------------------------------------------------

interface Instruction {
  keyword: string
  args: string
}

/** Dockerfile instructions with comments dropped and `\` continuations joined. */
function instructions(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l)
      if (!m) throw new Error(`cannot read Dockerfile line: ${l}`)
      return { keyword: m[1]!.toUpperCase(), args: m[2]!.trim() }
    })
}

describe('Dockerfile', () => {
  const all = instructions(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'))
  const fromAt = all.flatMap((ins, i) => (ins.keyword === 'FROM' ? [i] : []))
  const build = all.slice(fromAt[0], fromAt[1])
  const run = all.slice(fromAt[1])
  const args = (stage: Instruction[], keyword: string) =>
    stage.filter((i) => i.keyword === keyword).map((i) => i.args)

  it('has a build stage and a run stage on node:20-bookworm-slim', () => {
    expect(fromAt).toHaveLength(2)
    expect(all[fromAt[0]!]!.args).toMatch(/^node:20-bookworm-slim\s+AS\s+build$/i)
    expect(all[fromAt[1]!]!.args).toMatch(/^node:20-bookworm-slim(\s+AS\s+\w+)?$/i)
    expect(args(build, 'RUN').join('\n')).toMatch(/npm ci\b/)
    expect(args(build, 'RUN').join('\n')).toContain('npm run build')
  })

  it('runs only production dependencies and the built output, as user node', () => {
    const runCmds = args(run, 'RUN').join('\n')
    expect(runCmds).toMatch(/npm ci\b[^\n]*--omit=dev/)
    expect(runCmds).not.toContain('npm run build')
    const copies = args(run, 'COPY')
    expect(copies).toContainEqual(expect.stringMatching(/^--from=build\s+\/app\/dist\s+\.\/dist$/))
    // Nothing but package*.json, dist/, views/, locales/ and public/ enters the run stage.
    for (const c of copies) {
      const sources = c
        .split(/\s+/)
        .filter((w) => !w.startsWith('--'))
        .slice(0, -1)
      for (const s of sources)
        expect(s).toMatch(
          /^(package\.json|package-lock\.json|package\*\.json|views\/?|locales\/?|public\/?|bin\/?|\/app\/dist\/?)$/,
        )
    }
    const users = args(run, 'USER')
    expect(users.at(-1)).toBe('node')
    expect(args(run, 'ENV')).toContainEqual(expect.stringMatching(/^NODE_ENV=production$/))
    expect(args(run, 'EXPOSE')).toEqual(['3000'])
  })

  it('checks health with node fetch, stops on SIGTERM and starts dist/src/main.js', () => {
    const health = args(run, 'HEALTHCHECK')
    expect(health).toHaveLength(1)
    expect(health[0]).toMatch(/CMD\s+\["node",\s*"-e",/)
    expect(health[0]).toContain("fetch('http://127.0.0.1:")
    expect(health[0]).toContain('/healthz')
    expect(args(run, 'STOPSIGNAL')).toEqual(['SIGTERM'])
    const cmd = args(run, 'CMD')
    expect(cmd).toHaveLength(1)
    expect(JSON.parse(cmd[0]!)).toEqual(['node', 'dist/src/main.js'])
  })

  it('bakes in no secret', () => {
    for (const ins of all.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
      expect(ins.args).not.toMatch(
        /SESSION_SECRET|TOKEN_ENCRYPTION_KEY|TOKEN_ENCRYPTION_OLD_KEYS|CLIENT_SECRET|CONSUMER_SECRET|METRICS_TOKEN/,
      )
    }
  })

  it('keeps secrets and host artefacts out of the build context', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
    for (const entry of ['.env', 'node_modules', 'dist', '.git']) expect(ignored).toContain(entry)
  })
})

// ---------------------------------------------------------------------------------------
// docker-compose.yml, checked by docker-compose itself
// ---------------------------------------------------------------------------------------

describe('docker-compose.yml', () => {
  it('is accepted by `docker-compose config` on a fresh clone (no .env) with app, redis and their volumes', () => {
    const which = spawnSync('which', ['docker-compose'], { encoding: 'utf8' })
    if (which.status !== 0 || !which.stdout.trim()) {
      throw new Error(
        'docker-compose is not installed, so docker-compose.yml cannot be checked: run `apt-get install -y docker-compose` (CI installs it in .ci/run)',
      )
    }
    // A folder with only what a fresh clone has: no .env, no shell settings leaking in.
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-compose-'))
    try {
      cpSync(path.join(ROOT, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'))
      cpSync(path.join(ROOT, 'Dockerfile'), path.join(dir, 'Dockerfile'))
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? dir }
      const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      })
      expect(res.error, String(res.error)).toBeUndefined()
      expect(res.status, `docker-compose config failed:\n${res.stderr}`).toBe(0)
      const out = res.stdout
      expect(out).toMatch(/^services:$/m)
      expect(out).toMatch(/^ {2}app:$/m)
      expect(out).toMatch(/^ {2}redis:$/m)
      expect(out).toMatch(/^volumes:\n(?: {2}\S+:.*\n)* {2}redis-data:/m)
      expect(out).toMatch(/redis-data:\/data/)
      // Generated development secrets on a named volume, so a restart keeps sessions and tokens.
      expect(out).toMatch(/^volumes:\n(?: {2}\S+:.*\n)* {2}app-data:/m)
      expect(out).toMatch(/app-data:\/app\/data/)
      expect(out).toMatch(/DEV_SECRETS_FILE: \/app\/data\/dev-secrets\.json/)
      expect(out).toMatch(/image: redis:7-alpine/)
      expect(out).toMatch(/--appendonly[\s\S]{0,20}yes/)
      expect(out).toMatch(/condition: service_healthy/)
      expect(out).toMatch(/redis-cli[\s\S]{0,20}ping/)
      expect(out).toMatch(/REDIS_URL: redis:\/\/redis:6379/)
      // SIGTERM gets 25 s to let refreshes store; the container must not be killed before.
      expect(out).toMatch(/stop_grace_period: 30s/)
      // Fresh clone: development defaults so the app starts with the sandbox and no secrets.
      expect(out).toMatch(/NODE_ENV: development/)
      expect(out).toMatch(/published: "?3000"?[\s\S]{0,40}target: 3000|3000:3000/)
      expect(out).not.toMatch(/SESSION_SECRET: [^'"\s]/)
      expect(out).not.toMatch(/TOKEN_ENCRYPTION_KEY: [^'"\s]/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('passes an operator .env through to the app', () => {
    const which = spawnSync('which', ['docker-compose'], { encoding: 'utf8' })
    if (which.status !== 0)
      throw new Error('docker-compose is not installed: run `apt-get install -y docker-compose`')
    const dir = mkdtempSync(path.join(tmpdir(), 'sb-compose-'))
    try {
      cpSync(path.join(ROOT, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'))
      writeFileSync(
        path.join(dir, '.env'),
        'NODE_ENV=production\nSESSION_SECRET=from-dot-env-0123456789abcdef0123456789\nMETRICS_TOKEN=metrics-from-dot-env\n',
      )
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? dir }
      const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      })
      expect(res.status, res.stderr).toBe(0)
      expect(res.stdout).toMatch(/NODE_ENV: production/)
      expect(res.stdout).toMatch(/SESSION_SECRET: from-dot-env-0123456789abcdef0123456789/)
      expect(res.stdout).toMatch(/METRICS_TOKEN: metrics-from-dot-env/)
      expect(res.stdout).toMatch(/REDIS_URL: redis:\/\/redis:6379/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

// ---------------------------------------------------------------------------------------
// The image's run stage, replayed outside Docker
// ---------------------------------------------------------------------------------------

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs)
  }
  return newest
}

function distIsFresh(): boolean {
  if (!existsSync(DIST_MAIN)) return false
  const inputs = Math.max(
    newestMtime(path.join(ROOT, 'src')),
    ...['tsconfig.json', 'tsconfig.build.json'].map((f) => statSync(path.join(ROOT, f)).mtimeMs),
  )
  return (
    statSync(DIST_MAIN).mtimeMs >= inputs &&
    newestMtime(path.join(ROOT, 'dist', 'src')) >= newestMtime(path.join(ROOT, 'src'))
  )
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d) => (output += String(d)))
    child.stderr.on('data', (d) => (output += String(d)))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${cmd} ${args.join(' ')} took over ${timeoutMs} ms:\n${output.slice(-4000)}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

function exited(
  child: ChildProcess,
  withinMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'timeout'> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), withinMs)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal })
    })
  })
}

describe('run stage replay (package*.json + dist/ + views/ + locales/ + public/, npm ci --omit=dev)', () => {
  let dir: string | undefined
  let child: ChildProcess | undefined
  const prefix = `sbtest:docker-replay:${randomBytes(4).toString('hex')}:`

  beforeAll(async () => {
    if (distIsFresh()) return
    const built = await run('npm', ['run', 'build'], ROOT, 120_000)
    if (built.code !== 0 || !existsSync(DIST_MAIN))
      throw new Error(`npm run build failed (exit ${built.code}):\n${built.output.slice(-4000)}`)
  }, 150_000)

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited(child, 5_000)
    }
    if (dir) rmSync(dir, { recursive: true, force: true })
    await dropPrefix(prefix)
  })

  it('installs, serves /healthz, /readyz and a page in production mode, and exits 0 on SIGTERM', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sb-replay-'))
    for (const f of ['package.json', 'package-lock.json']) cpSync(path.join(ROOT, f), path.join(dir, f))
    for (const d of ['views', 'locales', 'public', 'dist', 'bin'])
      cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true })

    const t0 = Date.now()
    // --prefer-offline reuses the npm cache CI's own `npm ci` just filled; same packages.
    const install = await run(
      'npm',
      ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'],
      dir,
      180_000,
    )
    expect(install.code, `npm ci --omit=dev failed:\n${install.output.slice(-4000)}`).toBe(0)
    const installMs = Date.now() - t0
    // The run stage has no dev tooling: a dependency sneaking in from devDependencies shows here.
    expect(existsSync(path.join(dir, 'node_modules', 'vitest'))).toBe(false)
    expect(existsSync(path.join(dir, 'node_modules', 'typescript'))).toBe(false)
    expect(existsSync(path.join(dir, 'node_modules', 'tsx'))).toBe(false)
    expect(existsSync(path.join(dir, 'src'))).toBe(false)

    const port = await freePort()
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ENV: 'production',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      SESSION_SECRET: randomBytes(32).toString('hex'),
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      SANDBOX: '1',
      LOG_LEVEL: 'info',
    }
    let output = ''
    const proc = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    proc.stdout!.on('data', (d) => (output += String(d)))
    proc.stderr!.on('data', (d) => (output += String(d)))
    const base = `http://127.0.0.1:${port}`

    const deadline = Date.now() + 20_000
    let healthy = false
    while (!healthy && Date.now() < deadline) {
      if (proc.exitCode !== null)
        throw new Error(`the app exited with ${proc.exitCode} before it was healthy:\n${output.slice(-4000)}`)
      try {
        const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1_000) })
        healthy = res.status === 200
      } catch {
        // not listening yet
      }
      if (!healthy) await new Promise((r) => setTimeout(r, 100))
    }
    expect(healthy, `/healthz never answered 200 within 20 s:\n${output.slice(-4000)}`).toBe(true)
    const ready = await fetch(`${base}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready' })
    // views/ and public/ resolve from the copied layout (paths.ts walks up to package.json).
    const login = await fetch(`${base}/login`)
    expect(login.status).toBe(200)
    expect(await login.text()).toMatch(/Email/)
    expect((await fetch(`${base}/public/app.css`)).status).toBe(200)
    // Production logs are JSON lines.
    const firstLine = output.split('\n').find((l) => l.trim())
    expect(() => JSON.parse(firstLine!)).not.toThrow()

    // `npm run admin` works in the image: the launcher falls back to the compiled CLI (tsx is a dev dependency).
    const cli = (...args: string[]) =>
      spawnSync('npm', ['run', '-s', 'admin', '--', ...args], {
        cwd: dir,
        env,
        encoding: 'utf8',
        timeout: 20_000,
      })
    const created = cli('create-tenant', '--name', 'Replay Org')
    expect(created.status, created.stderr).toBe(0)
    const slug = created.stdout.trim()
    expect(slug).toMatch(/^[a-z0-9-]+$/)
    const listed = cli('list-users', '--tenant', slug)
    expect(listed.status, listed.stderr).toBe(0)
    expect(listed.stdout.trim()).toBe('(no users)')

    const stopAt = Date.now()
    proc.kill('SIGTERM')
    const result = await exited(proc, 12_000)
    expect(result, `the app did not exit within 12 s of SIGTERM:\n${output.slice(-4000)}`).not.toBe('timeout')
    expect(result).toEqual({ code: 0, signal: null })
    expect(output).toContain('shutting down')
    console.info(
      `run-stage replay: npm ci --omit=dev ${installMs} ms, SIGTERM to exit ${Date.now() - stopAt} ms`,
    )
  }, 240_000)
})
