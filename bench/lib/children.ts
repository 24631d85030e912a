import { fork, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { CommandMessage, ReadyMessage, ReplyMessage } from './ipc.js'

/** A server under test in its own Node process (never the process that generates load). */
export interface ServerChild {
  name: string
  pid: number
  origin: string
  command<T>(name: string): Promise<T>
  stop(): Promise<void>
}

export interface ChildOptions {
  env: Record<string, string>
  /** Write a V8 CPU profile of this child to the folder when it exits. */
  cpuProfDir?: string
  /** How long it may take to start (default 30 s; a loaded machine needs more). */
  readyTimeoutMs?: number
}

const SERVERS = fileURLToPath(new URL('../servers/', import.meta.url))

/** Forks `bench/servers/<file>` under tsx and waits for it to report its port. */
export async function startChild(name: string, file: string, opts: ChildOptions): Promise<ServerChild> {
  const execArgv = ['--import', 'tsx', '--expose-gc']
  if (opts.cpuProfDir) {
    // One folder per child: tsx's loader thread writes a (tiny) profile of its own beside the main one.
    const dir = `${opts.cpuProfDir}${name}`
    mkdirSync(dir, { recursive: true })
    execArgv.push('--cpu-prof', '--cpu-prof-dir', dir)
  }
  const child = fork(`${SERVERS}${file}`, [], {
    execArgv,
    env: { ...process.env, ...opts.env },
    // Logs go nowhere (as to a collector that costs nothing); crashes still show on stderr.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const port = await waitReady(name, child, opts.readyTimeoutMs ?? 30_000)
  let nextId = 0
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  child.on('message', (msg: ReplyMessage) => {
    if (msg?.type !== 'reply') return
    const p = pending.get(msg.id)
    pending.delete(msg.id)
    if (msg.ok) p?.resolve(msg.data)
    else p?.reject(new Error(`${name}: ${msg.error}`))
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    name,
    pid: child.pid ?? 0,
    origin: `http://127.0.0.1:${port}`,
    command<T>(command: string) {
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        child.send({ type: 'command', id, name: command } satisfies CommandMessage)
      })
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 8_000)
      await exited
      clearTimeout(timer)
    },
  }
}

function waitReady(name: string, child: ChildProcess, ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${name} did not start within ${ms / 1000} s`))
    }, ms)
    child.on('message', (msg: ReadyMessage) => {
      if (msg?.type !== 'ready') return
      clearTimeout(timer)
      resolve(msg.port)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with ${code} before it was ready`))
    })
  })
}
