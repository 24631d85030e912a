import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { TokenCipher } from '../../src/crypto/token-cipher.js'
import { TenantCiphers } from '../../src/crypto/tenant-ciphers.js'
import { createRedis } from '../../src/redis/client.js'
import type { SandboxStats } from '../../src/sandbox/types.js'
import { imageMallocEnv } from './image-env.js'
import { startChild, type ServerChild } from './children.js'
import { connectSms77, PANEL_SCOPES, signUp, type User } from './flows.js'
import { benchPrefix, dropPrefix, rawRedis, REDIS_URL } from './redis.js'

/** Everything the benchmarks share: the processes under test and the run's Redis namespace. */
export interface BenchContext {
  prefix: string
  /** Prefixed like the app's own client (for seeding and reading what the app stored). */
  redis: Redis
  raw: Redis
  cipher: TenantCiphers
  env: Record<string, string>
  sandbox: ServerChild
  /** Switchboard with the panel cache on (30 s, the default). */
  app: ServerChild
  /** Switchboard with the panel cache off. */
  cold: ServerChild
  cpuProfDir?: string
  control(command: object): Promise<SandboxStats>
  sandboxStats(): Promise<SandboxStats>
  /** A signed-in user with sms77 connected with every panel scope (made once). */
  dashboardUser(): Promise<User>
  /** The tenant seeded with 10,000 demo accounts and its admin's cookie, once seeded. */
  seeded?: { tenantId: string; cookie: string }
  close(): Promise<void>
}

export async function startContext(opts: { cpuProfDir?: string }): Promise<BenchContext> {
  const prefix = benchPrefix()
  const tokenKey = randomBytes(32)
  const client = { id: 'switchboard-bench', secret: randomBytes(16).toString('hex') }
  const consumer = { key: 'switchboard-bench', secret: randomBytes(16).toString('hex') }
  const shared = {
    NODE_ENV: 'production',
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    SMS77_CLIENT_ID: client.id,
    SMS77_CLIENT_SECRET: client.secret,
    NEXMO_CONSUMER_KEY: consumer.key,
    NEXMO_CONSUMER_SECRET: consumer.secret,
  }
  const children: ServerChild[] = []
  const raw = rawRedis()
  const redis = createRedis(REDIS_URL, prefix)
  await redis.connect()
  const close = async () => {
    await Promise.allSettled(children.map((c) => c.stop()))
    redis.disconnect()
    await dropPrefix(raw, prefix)
    raw.disconnect()
  }
  try {
    const sandbox = await startChild('sandbox', 'sandbox.ts', { env: shared, cpuProfDir: opts.cpuProfDir })
    children.push(sandbox)
    const base = `${sandbox.origin}/sandbox`
    const env = {
      ...shared,
      SESSION_SECRET: randomBytes(32).toString('hex'),
      TOKEN_ENCRYPTION_KEY: tokenKey.toString('base64'),
      SMS77_OAUTH_URL: `${base}/sms77/oauth`,
      SMS77_API_URL: `${base}/sms77/api`,
      NEXMO_OAUTH_URL: `${base}/nexmo/oauth`,
      NEXMO_API_URL: `${base}/nexmo/rest`,
      SANDBOX: '0',
      // Request logs at info, as in production (BENCH_LOG_LEVEL changes it for experiments).
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      // glibc's heap settings of the image (BENCH_IMAGE_MALLOC=0 runs without, for a comparison).
      ...(process.env.BENCH_IMAGE_MALLOC === '0' ? {} : imageMallocEnv()),
    }
    const cpuProfDir = opts.cpuProfDir
    const app = await startChild('app', 'app.ts', { env: { ...env, BENCH_PANEL_TTL: '30' }, cpuProfDir })
    children.push(app)
    const cold = await startChild('app-cold', 'app.ts', { env: { ...env, BENCH_PANEL_TTL: '0' }, cpuProfDir })
    children.push(cold)
    const controlUrl = `${base}/_control`
    const control = async (command: object) => {
      const res = await fetch(controlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(command),
      })
      if (!res.ok) throw new Error(`sandbox control answered ${res.status}: ${await res.text()}`)
      return ((await res.json()) as { stats: SandboxStats }).stats
    }
    let user: Promise<User> | undefined
    return {
      prefix,
      redis,
      raw,
      cipher: new TenantCiphers(redis, new TokenCipher([tokenKey])),
      env,
      sandbox,
      app,
      cold,
      cpuProfDir,
      control,
      sandboxStats: async () => ((await (await fetch(controlUrl)).json()) as { stats: SandboxStats }).stats,
      dashboardUser: () =>
        (user ??= signUp(app.origin, 'dash').then(async (b) => {
          await connectSms77(b, PANEL_SCOPES)
          return b
        })),
      close,
    }
  } catch (err) {
    await close()
    throw err
  }
}
