import { parseArgs } from 'node:util'
import { z } from 'zod'
import { ConfigError, loadConfig } from '../config.js'
import { connectRedis, createRedis } from '../redis/client.js'
import { TenantStore } from '../tenants/tenant-store.js'
import { ROLES, UserStore } from '../auth/user-store.js'
import { AccountService } from '../auth/account-service.js'
import { TokenCipher } from '../crypto/token-cipher.js'
import { seedDemo } from '../support/seed-demo.js'
import { formatReport, reencryptAll } from './reencrypt.js'

/**
 * Operator command line: `npm run admin -- <command> [--flags]` (also inside the
 * container). Prints results on stdout, problems as one line on stderr, exits non-zero.
 */
const USAGE = `usage: npm run admin -- <command>
  create-tenant --name NAME                                   prints the new tenant's slug
  add-user --tenant SLUG --email E --password P --role member|support|admin
  list-users --tenant SLUG
  seed-demo --tenant SLUG --accounts N                        sandbox only: N demo users with connections
  reencrypt-tokens                                            re-encrypts stored secrets under TOKEN_ENCRYPTION_KEY`

const Commands = {
  'create-tenant': z.object({ name: z.string().trim().min(2).max(100) }),
  'add-user': z.object({
    tenant: z.string().min(1),
    email: z.email(),
    password: z.string().min(10, 'password must be at least 10 characters').max(200),
    role: z.enum(ROLES),
  }),
  'list-users': z.object({ tenant: z.string().min(1) }),
  'seed-demo': z.object({ tenant: z.string().min(1), accounts: z.coerce.number().int().min(1).max(100_000) }),
  'reencrypt-tokens': z.object({}),
} as const

class UsageError extends Error {}

function parse(argv: string[]): { command: keyof typeof Commands; flags: Record<string, string> } {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      tenant: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      accounts: { type: 'string' },
    },
  })
  const command = positionals[0]
  if (!command || !(command in Commands))
    throw new UsageError(command ? `unknown command: ${command}` : 'no command given')
  return { command: command as keyof typeof Commands, flags: values as Record<string, string> }
}

async function run(argv: string[]): Promise<string> {
  const { command, flags } = parse(argv)
  const input = Commands[command].safeParse(flags)
  if (!input.success)
    throw new UsageError(input.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '))
  const config = loadConfig()
  // Re-encrypting under a random stand-in key would make every token unreadable.
  if (command === 'reencrypt-tokens' && !config.tokenKeyConfigured)
    throw new UsageError(
      'reencrypt-tokens needs TOKEN_ENCRYPTION_KEY (and the old keys in TOKEN_ENCRYPTION_OLD_KEYS)',
    )
  const redis = createRedis(config.redis, config.redisKeyPrefix)
  await connectRedis(redis, config.redis)
  try {
    const tenants = new TenantStore(redis)
    const users = new UserStore(redis)
    const accounts = new AccountService(tenants, users)
    const data = input.data as Record<string, string>
    if (command === 'create-tenant') return (await tenants.create(data.name!)).id
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
      const report = await reencryptAll(redis, new TokenCipher(config.tokenKeys))
      // Failed records still need an old key: say so in the exit status, not only in words.
      if (Object.values(report).some((c) => c.failed > 0)) process.exitCode = 1
      return formatReport(report)
    }
    if (!(await tenants.get(data.tenant!))) throw new UsageError(`no tenant with slug ${data.tenant}`)
    if (command === 'seed-demo') {
      // Demo data has placeholder tokens and fake emails: never in a real deployment.
      if (!config.sandbox.enabled) throw new UsageError('seed-demo runs only with the sandbox on (SANDBOX=1)')
      const n = await seedDemo(
        redis,
        new TokenCipher(config.tokenKeys),
        data.tenant!,
        Number(data.accounts),
        (done) => process.stderr.write(`\rseeded ${done}`),
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

try {
  console.log(await run(process.argv.slice(2)))
} catch (err) {
  if (err instanceof ConfigError) for (const l of err.lines) console.error(`config error: ${l}`)
  else console.error(`error: ${(err as Error).message}`)
  if (err instanceof UsageError) console.error(USAGE)
  process.exitCode = err instanceof UsageError ? 2 : 1
}
