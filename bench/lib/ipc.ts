import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { writeHeapSnapshot } from 'node:v8'

/**
 * The small protocol between bench/run.ts and the server children it forks: a child says
 * `ready` with its port, then answers named commands (memory, timings) over the IPC channel.
 */
export interface ReadyMessage {
  type: 'ready'
  port: number
}

export interface CommandMessage {
  type: 'command'
  id: number
  name: string
}

export interface ReplyMessage {
  type: 'reply'
  id: number
  ok: boolean
  data?: unknown
  error?: string
}

export type Handlers = Record<string, () => unknown>

export interface MemorySnapshot {
  rss: number
  heapTotal: number
  heapUsed: number
  external: number
  arrayBuffers: number
  /** Of rss: anonymous memory (heaps: V8's and malloc's) and file-backed (code, libraries). */
  rssAnon?: number
  rssFile?: number
}

/** RssAnon and RssFile of /proc/self/status, bytes (Linux only). */
function rssParts(): { rssAnon?: number; rssFile?: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024
    return { rssAnon: kb('RssAnon'), rssFile: kb('RssFile') }
  } catch {
    return {}
  }
}

/** Memory after a full GC when the child runs with --expose-gc (the parent always asks for it). */
export function memoryAfterGc(): MemorySnapshot {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage()
  return { rss, heapTotal, heapUsed, external, arrayBuffers, ...rssParts() }
}

/** CPU time this process has used, µs (user + system). */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

/**
 * Child side: announce the port, then answer the parent's commands (`memory`, `cpu` and the
 * child's own) until told to stop.
 */
export function serveParent(port: number, own: Handlers, close: () => Promise<void>): void {
  const handlers: Handlers = {
    memory: memoryAfterGc,
    cpu: cpuMicros,
    // A heap snapshot in the OS's temp folder (hundreds of MB); its path goes to the parent.
    heapSnapshot: () => writeHeapSnapshot(`${tmpdir()}/sb-bench-${process.pid}-${Date.now()}.heapsnapshot`),
    ...own,
  }
  const send = process.send?.bind(process)
  if (!send) throw new Error('bench servers are forked by bench/run.ts (they need its IPC channel)')
  process.on('message', (msg: CommandMessage) => {
    if (msg?.type !== 'command') return
    const handler = handlers[msg.name]
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown command ${msg.name}`)
        return handler()
      })
      .then(
        (data) => send({ type: 'reply', id: msg.id, ok: true, data } satisfies ReplyMessage),
        (err: unknown) =>
          send({ type: 'reply', id: msg.id, ok: false, error: String(err) } satisfies ReplyMessage),
      )
  })
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    // A clean exit lets --cpu-prof write its profile.
    const force = setTimeout(() => process.exit(1), 5_000)
    force.unref()
    close().finally(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  // The parent went away (crashed or was killed): never outlive it.
  process.on('disconnect', stop)
  send({ type: 'ready', port } satisfies ReadyMessage)
}
