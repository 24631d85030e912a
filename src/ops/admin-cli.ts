import { parseArgs } from 'node:util'
import { ConfigError } from '../config/config.js'
import { loadProcessConfig } from '../config/process.js'
import { connectRedis, createRedis } from '../redis/client.js'
import { TenantStore } from '../tenants/tenant-store.js'
import { ROLES, UserStore } from '../auth/user-store.js'
import { ConnectionStore } from '../connections/connection-store.js'
import { COMMANDS, commandHelp, flagErrors, USAGE, type CommandName } from './cli-commands.js'
import { AccountService } from '../auth/account-service.js'
import { TokenCipher } from '../crypto/token-cipher.js'
import { TenantCiphers } from '../crypto/tenant-ciphers.js'
import { seedDemo } from '../support/seed-demo.js'
import { formatReport, reencryptAll, rotateTenantKey } from './reencrypt.js'
import { AuditLog } from '../audit/audit-log.js'
import type { Config } from '../config/config.js'
import type { RedisClient } from '../redis/client.js'

/**
 * Operator command line: `npm run admin -- <command> [--flags]` (also inside the
 * container). Prints results on stdout, problems as one line each on stderr, exits non-zero.
 */
class UsageError extends Error {
  constructor(
    message: string,
    readonly usage = USAGE,
  ) {
    super(message)
  }
}

type Parsed = { command: CommandName; flags: Record<string, string | boolean>; help: boolean }

function parse(argv: string[]): Parsed | { help: true; command?: undefined } {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      name: { type: 'string' },
      tenant: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      accounts: { type: 'string' },
      'allow-duplicate': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const command = positionals[0]
  if (!command) {
    if (values.help) return { help: true }
    throw new UsageError('no command given')
  }
  if (command === 'help') return { help: true }
  if (!(command in COMMANDS)) throw new UsageError(`unknown command: ${command}`)
  const { help, ...flags } = values
  const known = Object.keys(COMMANDS[command as CommandName].flags.shape)
  const unknown = Object.keys(flags).filter((f) => !known.includes(f))
  if (unknown.length && !help)
    throw new UsageError(
      unknown.map((f) => `unknown flag --${f} for ${command}`).join('; '),
      commandHelp(command as CommandName),
    )
  return { command: command as CommandName, flags: flags as Record<string, string | boolean>, help: !!help }
}

/** Commands that need the services as the server builds them, handed in by boot/admin-cli.ts. */
export interface CliHooks {
  deleteTenant(config: Config, redis: RedisClient, slug: string): Promise<string | null>
}

async function run(argv: string[], { deleteTenant }: CliHooks): Promise<string> {
  const parsed = parse(argv)
  if (!parsed.command) return USAGE
  const { command, flags } = parsed
  if (parsed.help) return commandHelp(command)
  const input = COMMANDS[command].flags.safeParse(flags)
  if (!input.success)
    throw new UsageError(flagErrors(input.error, flags).join('\nerror: '), commandHelp(command))
  // As the server reads it (.env, *_FILE, the dev secrets file): the same keys, or tokens it
  // writes could not be read by the app.
  const config = loadProcessConfig()
  // Re-encrypting under a random stand-in key would make every token unreadable.
  if (command === 'reencrypt-tokens' && !config.tokenKeyConfigured)
    throw new UsageError(
      'reencrypt-tokens needs TOKEN_ENCRYPTION_KEY (and the old keys in TOKEN_ENCRYPTION_OLD_KEYS)',
    )
  const redis = createRedis(config.redis, config.redisKeyPrefix)
  await connectRedis(redis, config.redis)
  try {
    const tenants = new TenantStore(redis)
    const ciphers = new TenantCiphers(redis, new TokenCipher(config.tokenKeys))
    const users = new UserStore(redis)
    const accounts = new AccountService(tenants, users)
    const data = input.data as Record<string, string>
    if (command === 'create-tenant') {
      const name = data.name!
      const same = (await tenants.all()).filter((t) => t.name.toLowerCase() === name.toLowerCase())
      if (same.length && flags['allow-duplicate'] !== true)
        throw new Error(
          `an organisation named "${name}" already exists (${same.map((t) => t.id).join(', ')}); pass --allow-duplicate to make another`,
        )
      return (await tenants.create(name)).id
    }
    if (command === 'list-tenants') {
      const store = new ConnectionStore(redis, ciphers)
      const rows = await Promise.all(
        (await tenants.all()).map(async (t) => {
          const connections = (await store.listMembers(t.id, { offset: 0, count: 1 })).total
          return [t.id, t.name, await users.count(t.id), connections].join('\t')
        }),
      )
      return rows.join('\n') || '(no organisations)'
    }
    if (command === 'add-user') {
      const u = await accounts.addUser({
        tenantId: data.tenant!,
        email: data.email!,
        password: data.password!,
        role: data.role as (typeof ROLES)[number],
      })
      return `added ${u.email} (${u.role}) to ${u.tenantId}`
    }
    if (command === 'reencrypt-tokens') {
      if (data.tenant && !(await tenants.get(data.tenant)))
        throw new UsageError(`no tenant with slug ${data.tenant}`)
      const report = data.tenant
        ? await rotateTenantKey(redis, ciphers, data.tenant)
        : await reencryptAll(redis, ciphers)
      // Failed records still need an old key: say so in the exit status, not only in words.
      if (Object.values(report).some((c) => c.failed > 0)) process.exitCode = 1
      return formatReport(report)
    }
    if (command === 'delete-tenant') {
      const done = await deleteTenant(config, redis, data.tenant!)
      if (done === null) throw new UsageError(`no tenant with slug ${data.tenant}`)
      return done
    }
    if (!(await tenants.get(data.tenant!))) throw new UsageError(`no tenant with slug ${data.tenant}`)
    if (command === 'verify-audit') {
      const check = await new AuditLog(redis).verify(data.tenant!)
      if (check.ok) return `ok ${check.entries} entries`
      process.exitCode = 1
      const when = check.at ? new Date(check.at).toISOString() : 'unknown time'
      return `entry ${check.id} (${when}, ${check.action}) does not match the chain`
    }
    if (command === 'seed-demo') {
      // Demo data has placeholder tokens and fake emails: never in a real deployment.
      if (!config.sandbox.enabled) throw new UsageError('seed-demo runs only with the sandbox on (SANDBOX=1)')
      const n = await seedDemo(redis, ciphers, data.tenant!, Number(data.accounts), (done) =>
        process.stderr.write(`\rseeded ${done}`),
      )
      process.stderr.write('\n')
      return `seeded ${n} demo accounts into ${data.tenant}`
    }
    const list = await users.list(data.tenant!, 0, 10_000)
    return (
      list.map((u) => `${u.email}\t${u.role}\t${new Date(u.createdAt).toISOString()}`).join('\n') ||
      '(no users)'
    )
  } finally {
    await redis.quit()
  }
}

/** Runs one command: its output on stdout, problems on stderr, the exit code set. */
export async function adminCli(argv: string[], hooks: CliHooks): Promise<void> {
  try {
    console.log(await run(argv, hooks))
  } catch (err) {
    if (err instanceof ConfigError) for (const l of err.lines) console.error(`config error: ${l}`)
    else console.error(`error: ${(err as Error).message}`)
    if (err instanceof UsageError) console.error(err.usage)
    process.exitCode = err instanceof UsageError ? 2 : 1
  }
}
