import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'

/** One line of the printed table. Figures are already rounded for reading. */
export interface Row {
  bench: string
  rps?: number
  p50?: number
  p99?: number
  figure?: string
  target?: string
  met?: boolean
}

/** What a benchmark hands back: its table lines and everything it measured, for results.json. */
export interface BenchOutcome {
  rows: Row[]
  data: Record<string, unknown>
}

export function round(v: number, digits = 1): number {
  const f = 10 ** digits
  return Math.round(v * f) / f
}

export function mib(bytes: number): number {
  return round(bytes / 1024 / 1024, 1)
}

export interface Machine {
  nproc: number
  cpuModel: string
  node: string
  memGiB: number
  redis: string
}

export function machine(redisVersion: string): Machine {
  let nproc = cpus().length
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim())
  } catch {
    // nproc is coreutils; cpus() is the fallback.
  }
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown'
  const memKb = Number(/^MemTotal:\s*(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0)
  return {
    nproc,
    cpuModel: model.trim(),
    node: process.version,
    memGiB: round(memKb / 1024 / 1024, 1),
    redis: redisVersion,
  }
}

const COLUMNS: Array<[string, (r: Row) => string]> = [
  ['benchmark', (r) => r.bench],
  ['req/s', (r) => (r.rps === undefined ? '' : String(Math.round(r.rps)))],
  ['p50 ms', (r) => (r.p50 === undefined ? '' : r.p50.toFixed(1))],
  ['p99 ms', (r) => (r.p99 === undefined ? '' : r.p99.toFixed(1))],
  ['figure', (r) => r.figure ?? ''],
  ['target', (r) => r.target ?? ''],
  ['met', (r) => (r.met === undefined ? '' : r.met ? 'yes' : 'NO')],
]

export function table(rows: Row[]): string {
  const cells = rows.map((r) => COLUMNS.map(([, f]) => f(r)))
  const widths = COLUMNS.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)))
  const line = (c: string[]) =>
    c.map((v, i) => (i > 0 && i < 4 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ')
  return [
    line(COLUMNS.map(([h]) => h)),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(line),
  ].join('\n')
}
