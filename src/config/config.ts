import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { hostPortList, redisTarget, type RedisTarget } from '../redis/target.js'
import { base64Key, base64KeyList, bool, httpUrl, withoutEmpty } from './fields.js'
import { mailConfig, MailEnvSchema, noSmtpWarning, type MailConfig } from './mail.js'
import { FILE_SECRETS, withSecrets } from './secrets.js'
import { OtelEnvSchema, tracingConfig, type TracingConfig } from './otel.js'

/**
 * The only reader of `process.env`. Everything is parsed once at start-up; a bad or
 * missing value stops start-up with one line per variable naming it (see DESIGN.md).
 */

const SANDBOX_SMS77_CLIENT = { id: 'switchboard-sandbox', secret: 'sandbox-client-secret' }
const SANDBOX_NEXMO_CONSUMER = { key: 'switchboard-sandbox', secret: 'sandbox-consumer-secret' }

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number({ message: 'expected a port number' }).int().min(1).max(65535).default(3000),
  HOST: z.string().min(1).optional(),
  BASE_URL: httpUrl.optional(),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, message: 'expected redis:// or rediss:// URL' })
    .default('redis://127.0.0.1:6379'),
  REDIS_SENTINELS: hostPortList.optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).max(200).optional(),
  REDIS_CLUSTER_NODES: hostPortList.optional(),
  REDIS_KEY_PREFIX: z.string().max(64).default('sb:'),
  DEV_SECRETS_FILE: z.string().optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  TOKEN_ENCRYPTION_KEY: base64Key.optional(),
  TOKEN_ENCRYPTION_OLD_KEYS: base64KeyList,
  SMS77_CLIENT_ID: z.string().min(1).optional(),
  SMS77_CLIENT_SECRET: z.string().min(1).optional(),
  SMS77_OAUTH_URL: httpUrl.optional(),
  SMS77_API_URL: httpUrl.optional(),
  NEXMO_CONSUMER_KEY: z.string().min(1).optional(),
  NEXMO_CONSUMER_SECRET: z.string().min(1).optional(),
  NEXMO_OAUTH_URL: httpUrl.optional(),
  NEXMO_API_URL: httpUrl.optional(),
  SANDBOX: bool.optional(),
  SANDBOX_TOKEN_TTL: z.coerce.number().int().min(5).max(86_400).default(3600),
  SANDBOX_REFRESH_TOKEN_TTL: z.coerce.number().int().min(1).max(31_536_000).default(1_209_600),
  SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: z.string().optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  WEBHOOK_ALLOW_PRIVATE: bool.optional(),
  CONNECTION_KEEPALIVE_SECONDS: z.coerce
    .number({ message: 'expected a number of seconds' })
    .int()
    .min(2)
    .max(31_536_000)
    .default(86_400),
  ...MailEnvSchema,
  ...OtelEnvSchema,
})

/** Every variable the app reads (the `*_FILE` forms too), for checks such as the compose file's. */
export const CONFIG_VARIABLES = [...Object.keys(EnvSchema.shape), ...FILE_SECRETS.map((n) => `${n}_FILE`)]

export type { RedisTarget } from '../redis/target.js'

export interface ProviderClientConfig {
  id: string
  secret: string
}

export interface Config {
  env: 'development' | 'production' | 'test'
  port: number
  host: string
  baseUrl: string
  secureCookies: boolean
  redisUrl: string
  /** Single server (REDIS_URL), Sentinel or Cluster: what `createRedis` connects to. */
  redis: RedisTarget
  redisKeyPrefix: string
  sessionSecret: string
  /** First key encrypts; every key decrypts (rotation). */
  tokenKeys: Buffer[]
  /** False when TOKEN_ENCRYPTION_KEY is unset and a random key stands in (never re-encrypt to it). */
  tokenKeyConfigured: boolean
  sandbox: { enabled: boolean; tokenTtlSec: number; refreshTokenTtlSec: number; port: number }
  sms77: { client?: ProviderClientConfig; oauthUrl: string; apiUrl: string }
  nexmo: { consumer?: ProviderClientConfig; oauthUrl: string; apiUrl: string }
  logLevel: string
  trustProxy?: string
  metricsToken?: string
  /** Let tenant webhooks reach loopback/private addresses (the operator's choice; off by default). */
  webhookAllowPrivate: boolean
  /** Every connection is used at least this often, seconds, even when nobody opens a page. */
  connectionKeepaliveSec: number
  mail: MailConfig
  /** False with SIGNUP=closed: organisations come from the CLI and invitations only. */
  signupOpen: boolean
  /** OpenTelemetry traces over OTLP/HTTP; undefined (nothing loaded) without an endpoint. */
  tracing?: TracingConfig
  /** Said once at start-up: things that work but an operator should know. */
  warnings: string[]
}

export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'))
    this.name = 'ConfigError'
  }
}

type Env = Record<string, string | undefined>

function pair(
  id: string | undefined,
  secret: string | undefined,
  names: [string, string],
): ProviderClientConfig | undefined {
  if (!id && !secret) return undefined
  if (!id || !secret)
    throw new ConfigError([`${id ? names[1] : names[0]}: required when ${id ? names[0] : names[1]} is set`])
  return { id, secret }
}

/**
 * Parses an environment (normally `process.env`) into a Config, or throws ConfigError.
 * `*_FILE` variables are read here; `devSecretsFile` (the real entry points only; the
 * DEV_SECRETS_FILE variable moves it, as the image does to its data volume) keeps
 * generated secrets across restarts outside production.
 */
export function loadConfig(rawEnv: Env = process.env, opts: { devSecretsFile?: string } = {}): Config {
  const env = withoutEmpty(rawEnv)
  const pre = withSecrets(env, opts.devSecretsFile && (env.DEV_SECRETS_FILE ?? opts.devSecretsFile))
  // A secret file that cannot be read is the one thing to fix first: its variable is empty.
  if (pre.errors.length) throw new ConfigError(pre.errors)
  const parsed = EnvSchema.safeParse(pre.env)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'}: ${i.message}`),
    )
  }
  const e = parsed.data
  const production = e.NODE_ENV === 'production'
  const warnings: string[] = [...pre.warnings]
  const sms77Client = pair(e.SMS77_CLIENT_ID, e.SMS77_CLIENT_SECRET, [
    'SMS77_CLIENT_ID',
    'SMS77_CLIENT_SECRET',
  ])
  const nexmoConsumer = pair(e.NEXMO_CONSUMER_KEY, e.NEXMO_CONSUMER_SECRET, [
    'NEXMO_CONSUMER_KEY',
    'NEXMO_CONSUMER_SECRET',
  ])
  const sandbox = e.SANDBOX ?? (!sms77Client && !nexmoConsumer && !production)
  const baseUrl = e.BASE_URL ?? `http://localhost:${e.PORT}`
  const sandboxBase = `${baseUrl}/sandbox`
  const redis = redisTarget(e)
  const missing: string[] = 'errors' in redis ? [...redis.errors] : []
  for (const name of ['SESSION_SECRET', 'TOKEN_ENCRYPTION_KEY'] as const)
    if (production && !e[name]) missing.push(`${name}: required when NODE_ENV=production (or ${name}_FILE)`)
  if (missing.length || 'errors' in redis) throw new ConfigError(missing)
  if (!e.SESSION_SECRET)
    warnings.push('SESSION_SECRET is not set: using a random one, sessions end when the process restarts')
  if (!e.TOKEN_ENCRYPTION_KEY)
    warnings.push(
      'TOKEN_ENCRYPTION_KEY is not set: using a random one, stored tokens become unreadable after a restart',
    )
  if (sandbox) warnings.push(`SANDBOX is on: providers are emulated at ${sandboxBase}`)
  if (!e.SMTP_URL) warnings.push(noSmtpWarning(sandbox, sandboxBase))
  if (production && !sandbox && !sms77Client && !nexmoConsumer)
    warnings.push(
      'NO PROVIDER IS CONFIGURED: every Connect will fail. Set SMS77_CLIENT_ID and SMS77_CLIENT_SECRET ' +
        '(or _FILE) and/or NEXMO_CONSUMER_KEY and NEXMO_CONSUMER_SECRET (or _FILE)',
    )
  const tokenKey = e.TOKEN_ENCRYPTION_KEY ? Buffer.from(e.TOKEN_ENCRYPTION_KEY, 'base64') : randomBytes(32)
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    // Outside production only this machine reaches the dev server (its sandbox outbox shows
    // live reset links); the image sets HOST=0.0.0.0, as a container must listen on all.
    host: e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    baseUrl,
    secureCookies: baseUrl.startsWith('https:'),
    redisUrl: e.REDIS_URL,
    redis,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    sessionSecret: e.SESSION_SECRET ?? randomBytes(32).toString('base64url'),
    tokenKeys: [tokenKey, ...e.TOKEN_ENCRYPTION_OLD_KEYS.map((k) => Buffer.from(k, 'base64'))],
    tokenKeyConfigured: e.TOKEN_ENCRYPTION_KEY !== undefined,
    sandbox: {
      enabled: sandbox,
      tokenTtlSec: e.SANDBOX_TOKEN_TTL,
      refreshTokenTtlSec: e.SANDBOX_REFRESH_TOKEN_TTL,
      port: e.SANDBOX_PORT,
    },
    sms77: {
      client: sms77Client ?? (sandbox ? SANDBOX_SMS77_CLIENT : undefined),
      oauthUrl: e.SMS77_OAUTH_URL ?? (sandbox ? `${sandboxBase}/sms77/oauth` : 'https://oauth.sms77.io'),
      apiUrl: e.SMS77_API_URL ?? (sandbox ? `${sandboxBase}/sms77/api` : 'https://gateway.sms77.io/api'),
    },
    nexmo: {
      consumer:
        nexmoConsumer ??
        (sandbox ? { id: SANDBOX_NEXMO_CONSUMER.key, secret: SANDBOX_NEXMO_CONSUMER.secret } : undefined),
      oauthUrl:
        e.NEXMO_OAUTH_URL ?? (sandbox ? `${sandboxBase}/nexmo/oauth` : 'https://dashboard.nexmo.com/oauth'),
      apiUrl: e.NEXMO_API_URL ?? (sandbox ? `${sandboxBase}/nexmo/rest` : 'https://rest.nexmo.com'),
    },
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    metricsToken: e.METRICS_TOKEN,
    webhookAllowPrivate: e.WEBHOOK_ALLOW_PRIVATE ?? false,
    connectionKeepaliveSec: e.CONNECTION_KEEPALIVE_SECONDS,
    mail: mailConfig(e, baseUrl),
    signupOpen: e.SIGNUP === 'open',
    tracing: tracingConfig(e),
    warnings,
  }
}
