import { z } from 'zod'

/** The Redis topology part of the configuration, kept apart so config.ts stays readable. */
export interface HostPort {
  host: string
  port: number
}

/**
 * Which Redis to use. With Sentinel or Cluster, `url` (REDIS_URL) still supplies the
 * credentials and `rediss:` (TLS) for the data nodes; its host and port are not used.
 */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; url: string }
  | { kind: 'cluster'; nodes: HostPort[]; url: string }

// One entry: a hostname or IPv4 address, or an IPv6 address in brackets, then a port.
const HOST_PORT = String.raw`(\[[0-9a-fA-F:.]+\]|[^\s:,[\]]+):\d{1,5}`

/**
 * `host:port,host:port`: Sentinel and Cluster seed nodes. Checked as a whole string so a
 * bad variable gets one error line, whichever entries are wrong.
 */
export const hostPortList = z
  .string()
  .regex(new RegExp(`^\\s*${HOST_PORT}(\\s*,\\s*${HOST_PORT})*\\s*,?\\s*$`), {
    message: 'expected a comma-separated list of host:port',
  })
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((hp): HostPort => {
        const at = hp.lastIndexOf(':')
        return { host: hp.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(hp.slice(at + 1)) }
      }),
  )
  .refine((nodes) => nodes.every((n) => n.port >= 1 && n.port <= 65535), {
    message: 'port out of range (1-65535)',
  })

export interface RedisEnv {
  REDIS_URL: string
  REDIS_SENTINELS?: HostPort[]
  REDIS_SENTINEL_NAME?: string
  REDIS_CLUSTER_NODES?: HostPort[]
}

/**
 * The target, or one line per variable in conflict. One topology at a time: a
 * half-configured Sentinel, or Sentinel and Cluster together, is a mistake to report
 * rather than to guess around.
 */
export function redisTarget(e: RedisEnv): RedisTarget | { errors: string[] } {
  const errors: string[] = []
  if (e.REDIS_SENTINELS && e.REDIS_CLUSTER_NODES)
    errors.push('REDIS_CLUSTER_NODES: set either REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both')
  if (e.REDIS_SENTINELS && !e.REDIS_SENTINEL_NAME)
    errors.push('REDIS_SENTINEL_NAME: required when REDIS_SENTINELS is set (the monitored master name)')
  if (e.REDIS_SENTINEL_NAME && !e.REDIS_SENTINELS)
    errors.push('REDIS_SENTINELS: required when REDIS_SENTINEL_NAME is set')
  if (errors.length) return { errors }
  if (e.REDIS_SENTINELS && e.REDIS_SENTINEL_NAME)
    return { kind: 'sentinel', sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME, url: e.REDIS_URL }
  if (e.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: e.REDIS_CLUSTER_NODES, url: e.REDIS_URL }
  return { kind: 'single', url: e.REDIS_URL }
}

/** For messages: where Redis is, with any password masked. */
export function describeTarget(t: RedisTarget): string {
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',')
  if (t.kind === 'sentinel') return `sentinel ${t.name} via ${list(t.sentinels)}`
  if (t.kind === 'cluster') return `cluster ${list(t.nodes)}`
  return t.url.replace(/\/\/([^@/]*)@/, '//***@')
}
