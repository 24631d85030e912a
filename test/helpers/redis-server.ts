import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'

/**
 * Throwaway `redis-server` processes on loopback ports, for tests that need a Redis of
 * their own: one they can kill, a Cluster, a Sentinel. Never the shared server.
 */
export const run = promisify(execFile)

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

/**
 * A free loopback port below the ephemeral range. With `bus`, port + 10000 is free too
 * (a Cluster node's bus port), which a port from `listen(0)` could not promise.
 */
export async function freePort(bus = false): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000)
    if ((await portIsFree(port)) && (!bus || (await portIsFree(port + 10_000)))) return port
  }
  throw new Error('no free port found')
}

/** One PING over a raw socket: true on +PONG (or a LOADING/cluster reply: it is up). */
export function pingPort(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' })
    const done = (ok: boolean) => {
      sock.destroy()
      resolve(ok)
    }
    sock.setTimeout(timeoutMs, () => done(false))
    sock.once('error', () => done(false))
    sock.once('connect', () => sock.write('PING\r\n'))
    sock.once('data', (d) => done(String(d).startsWith('+PONG')))
  })
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

export interface RedisServer {
  port: number
  proc: ChildProcess
  /** Kills the process (SIGKILL by default: an outage, not a shutdown) and waits for it. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/**
 * Starts `redis-server` on `port` with `args`, in the foreground; resolves once it answers
 * PING. A Sentinel needs a (writable) `configFile`, which redis-server wants first.
 */
export async function startRedisServer(
  port: number,
  args: string[] = [],
  configFile?: string,
): Promise<RedisServer> {
  const base = ['--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', '--save', '']
  const proc = spawn('redis-server', [...(configFile ? [configFile] : []), ...base, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  proc.stdout?.on('data', (d) => (output = (output + String(d)).slice(-4000)))
  proc.stderr?.on('data', (d) => (output = (output + String(d)).slice(-4000)))
  // A crashed test worker must not leave servers behind.
  const reap = () => proc.kill('SIGKILL')
  process.once('exit', reap)
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  const stop = async (signal: NodeJS.Signals = 'SIGKILL') => {
    process.removeListener('exit', reap)
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
    await Promise.race([exited, sleep(5_000).then(() => proc.kill('SIGKILL'))])
  }
  try {
    await waitFor(`redis-server on ${port}`, async () => {
      if (proc.exitCode !== null) throw new Error(`redis-server exited:\n${output}`)
      return pingPort(port)
    })
  } catch (err) {
    await stop()
    throw new Error(`${(err as Error).message}\n${output}`, { cause: err })
  }
  return { port, proc, stop }
}

export function tempDir(name: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `sb-${name}-`))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
